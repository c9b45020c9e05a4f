"""Seed data for the pricing features: add-ons, party size, tax rates and coupons on the
test world's "portraits" (price $200, deposit $50), relative to the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from databases import Database

from widget_server.db.tables import (
    addons,
    coupon_minis,
    coupons,
    mini_sessions,
    studios,
    tax_rate_minis,
    tax_rates,
)

from .world import World


@dataclass
class Extras:
    album: int = 0  # portraits: $40, at most 2 each, 3 in stock
    prints: int = 0  # portraits: $15, at most 5, no stock limit
    family_addon: int = 0  # an add-on of another mini session ("family")
    coupons: dict[str, int] = field(default_factory=dict)


async def seed_extras(db: Database, world: World, now: datetime) -> Extras:
    acme = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == world.studio))
    rival = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == world.other_studio))
    portraits = world.mini_ids["portraits"]
    await db.execute(
        mini_sessions.update()
        .where(mini_sessions.c.id == portraits)
        .values(party_included=2, party_max=5, extra_person_minor=1500, change_cutoff_hours=0)
    )
    extras = Extras()
    extras.album = await db.execute(
        addons.insert().values(
            mini_session_id=portraits,
            name="Album",
            description="Linen, 20 pages.",
            price_minor=4000,
            max_quantity=2,
            stock=3,
        )
    )
    extras.prints = await db.execute(
        addons.insert().values(
            mini_session_id=portraits, name="Print", price_minor=1500, max_quantity=5
        )
    )
    extras.family_addon = await db.execute(
        addons.insert().values(
            mini_session_id=world.mini_ids["family"], name="Frame", price_minor=2000
        )
    )
    tax = await db.execute(
        tax_rates.insert().values(
            studio_id=acme, name="Sales tax", rate_ppm=100_000, all_minis=False
        )
    )
    await db.execute(tax_rate_minis.insert().values(tax_rate_id=tax, mini_session_id=portraits))
    specs = {
        # code: (studio, kind, value, extra columns)
        "SAVE10": (acme, "percent", 100_000, {"max_uses": 5, "per_email_limit": 1}),
        "TENOFF": (acme, "fixed", 1000, {"base_only": True}),
        "FREEBIE": (acme, "percent", 1_000_000, {}),
        "OLD": (acme, "percent", 100_000, {"ends_at": now - timedelta(days=1)}),
        "SOON": (acme, "percent", 100_000, {"starts_at": now + timedelta(days=1)}),
        "GONE": (acme, "percent", 100_000, {"max_uses": 0}),
        "FAMILY": (acme, "percent", 100_000, {"all_minis": False}),
        "RIVAL": (rival, "percent", 500_000, {}),
    }
    for code, (studio_id, kind, value, more) in specs.items():
        extras.coupons[code] = await db.execute(
            coupons.insert().values(studio_id=studio_id, code=code, kind=kind, value=value, **more)
        )
    await db.execute(
        coupon_minis.insert().values(
            coupon_id=extras.coupons["FAMILY"], mini_session_id=world.mini_ids["family"]
        )
    )
    return extras
