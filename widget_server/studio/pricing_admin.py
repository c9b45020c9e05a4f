"""The photographer's pricing: add-ons per mini session, coupon codes and tax rates.

Each ``check_*`` reads a submitted form into column values or an InvalidDetails with a
message per field, checking at least what the CHECK constraints check (so a constraint
never catches a typing mistake: a tax of 1000 % is a field error). Every read and write
names the studio: another studio's row is "not found", the same as one that never was.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from databases import Database

from ..booking.catalog import MiniSession
from ..booking.coupons import MAX_CODE, Coupon
from ..booking.errors import InvalidDetails
from ..booking.extras import Addon
from ..booking.pricing import MAX_TAX_PPM, PPM
from ..db.rows import fetch_all_as, fetch_one_as
from ..db.tables import (
    addons,
    coupon_minis,
    coupons,
    mini_sessions,
    tax_rate_addons,
    tax_rate_minis,
    tax_rates,
)
from ..db.transactions import write_transaction
from ..i18n import gettext as _
from .form_values import (
    is_web_address,
    parse_day,
    parse_money,
    parse_percent,
    parse_whole,
    unstorable_fields,
)

MAX_NAME = 200
MAX_TEXT = 2_000
CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def _text(form: Mapping[str, str], name: str, limit: int, errors: dict[str, str]) -> str:
    value = form.get(name, "").strip()
    if len(value) > limit:
        errors[name] = _("Keep this under %(limit)s characters.") % {"limit": format(limit, ",")}
    return value


def _optional_whole(
    form: Mapping[str, str], name: str, low: int, high: int, errors: dict[str, str]
) -> int | None:
    if not form.get(name, "").strip():
        return None
    try:
        return parse_whole(form[name], low, high)
    except ValueError as exc:
        errors[name] = str(exc)
        return None


def _ids(form: Mapping[str, str], prefix: str, allowed: set[int]) -> set[int] | None:
    """The ticked ``<prefix><id>`` boxes; None when one names something not offered."""
    chosen: set[int] = set()
    for key, value in form.items():
        if key.startswith(prefix) and value == "1":
            raw = key.removeprefix(prefix)
            if not raw.isascii() or not raw.isdigit() or int(raw) not in allowed:
                return None
            chosen.add(int(raw))
    return chosen


# Add-ons ------------------------------------------------------------------------------


def check_addon(form: Mapping[str, str], currency: str, taken: int = 0) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = _text(form, "name", MAX_NAME, errors)
    if not name:
        errors["name"] = _("Give the add-on a name.")
    image_url = _text(form, "image_url", MAX_TEXT, errors)
    if image_url and "image_url" not in errors and not is_web_address(image_url):
        errors["image_url"] = _("Enter a web address starting with https://.")
    price = 0
    try:
        price = parse_money(form.get("price", ""), currency)
    except ValueError as exc:
        errors["price"] = str(exc)
    max_quantity = 1
    try:
        max_quantity = parse_whole(form.get("max_quantity", ""), 1, 100)
    except ValueError as exc:
        errors["max_quantity"] = str(exc)
    stock = _optional_whole(form, "stock", 0, 1_000_000, errors)
    if stock is not None and stock < taken:
        errors["stock"] = _("%(taken)s are already booked or held: the stock can't be less.") % {
            "taken": taken
        }
    values = {
        "name": name,
        "description": _text(form, "description", MAX_TEXT, errors),
        "image_url": image_url,
        "price_minor": price,
        "max_quantity": max_quantity,
        "stock": stock,
    }
    errors |= unstorable_fields(form)
    if errors:
        raise InvalidDetails(errors)
    return values


async def studio_addon(db: Database, studio_id: int, addon_id: int) -> Addon | None:
    return await fetch_one_as(
        db,
        sa.select(addons)
        .join(mini_sessions, mini_sessions.c.id == addons.c.mini_session_id)
        .where(addons.c.id == addon_id, mini_sessions.c.studio_id == studio_id),
        Addon,
    )


async def save_addon(
    db: Database, mini: MiniSession, values: dict[str, Any], addon_id: int | None = None
) -> int:
    """Add (``addon_id`` None) or change an add-on of ``mini`` (already the studio's)."""
    async with write_transaction(db):
        if addon_id is None:
            return int(await db.execute(addons.insert().values(mini_session_id=mini.id, **values)))
        # The stock can't drop below what is claimed: the CHECK refuses, and the form said so.
        await db.execute(
            addons.update()
            .where(addons.c.id == addon_id, addons.c.mini_session_id == mini.id)
            .values(**values)
        )
        return addon_id


async def set_addon_archived(
    db: Database, mini: MiniSession, addon_id: int, archived: bool
) -> bool:
    async with write_transaction(db):
        row = await db.fetch_one(
            addons.update()
            .where(addons.c.id == addon_id, addons.c.mini_session_id == mini.id)
            .values(archived=archived)
            .returning(addons.c.id)
        )
    return row is not None


# Coupons ------------------------------------------------------------------------------


def _moment(text: str, timezone: str, end: bool) -> datetime:
    """A day typed in the form, as the studio's midnight starting it (or ending it)."""
    day = parse_day(text)
    start = datetime.combine(day, time(0), ZoneInfo(timezone))
    if end:
        start = datetime.combine(day, time(23, 59, 59), ZoneInfo(timezone))
    return start


def check_coupon(
    form: Mapping[str, str], currency: str, timezone: str, mini_ids: set[int]
) -> tuple[dict[str, Any], set[int] | None]:
    """Column values and the chosen mini sessions (None: all of them)."""
    errors: dict[str, str] = {}
    code = form.get("code", "").strip().upper()
    if not code:
        errors["code"] = _("Give the code, e.g. WELCOME10.")
    elif len(code) > MAX_CODE or not set(code) <= CODE_CHARS:
        errors["code"] = _("Use letters, digits, - and _, at most %(max_code)s characters.") % {
            "max_code": MAX_CODE
        }
    kind = form.get("kind", "")
    value = 0
    if kind == "percent":
        try:
            value = parse_percent(form.get("amount", ""), 1, PPM)
        except ValueError as exc:
            errors["amount"] = str(exc)
    elif kind == "fixed":
        try:
            value = parse_money(form.get("amount", ""), currency)
            if value == 0:
                errors["amount"] = _("Enter an amount above zero.")
        except ValueError as exc:
            errors["amount"] = str(exc)
    else:
        errors["kind"] = _("Choose one of the options.")
    starts_at = ends_at = None
    for field, end in (("starts_on", False), ("ends_on", True)):
        if form.get(field, "").strip():
            try:
                moment = _moment(form[field], timezone, end)
            except ValueError as exc:
                errors[field] = str(exc)
            else:
                starts_at, ends_at = (starts_at, moment) if end else (moment, ends_at)
    if starts_at and ends_at and ends_at < starts_at:
        errors["ends_on"] = _("The last day can't be before the first.")
    chosen: set[int] | None = None
    if form.get("scope") == "some":
        chosen = _ids(form, "mini_", mini_ids)
        if not chosen:
            errors["scope"] = _("Tick the mini sessions the code is for.")
    values = {
        "code": code,
        "kind": kind if kind in {"percent", "fixed"} else "percent",
        "value": value,
        "base_only": form.get("base_only") == "1",
        "all_minis": chosen is None,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "max_uses": _optional_whole(form, "max_uses", 0, 1_000_000, errors),
        "per_email_limit": _optional_whole(form, "per_email_limit", 1, 1_000, errors),
    }
    errors |= unstorable_fields(form)
    if errors:
        raise InvalidDetails(errors)
    return values, chosen


async def studio_coupons(db: Database, studio_id: int) -> list[Coupon]:
    return await fetch_all_as(
        db,
        sa.select(coupons)
        .where(coupons.c.studio_id == studio_id)
        .order_by(coupons.c.archived, coupons.c.code),
        Coupon,
    )


async def studio_coupon(db: Database, studio_id: int, coupon_id: int) -> Coupon | None:
    return await fetch_one_as(
        db,
        sa.select(coupons).where(coupons.c.id == coupon_id, coupons.c.studio_id == studio_id),
        Coupon,
    )


async def coupon_mini_ids(db: Database, coupon_id: int) -> set[int]:
    found = await db.fetch_all(
        sa.select(coupon_minis.c.mini_session_id).where(coupon_minis.c.coupon_id == coupon_id)
    )
    return {r["mini_session_id"] for r in found}


class CodeTaken(Exception):
    pass


async def save_coupon(
    db: Database,
    studio_id: int,
    values: dict[str, Any],
    chosen: set[int] | None,
    coupon_id: int | None = None,
) -> int:
    """Add or change a code; CodeTaken when another of the studio's codes has it. A code's
    uses so far stay; lowering its maximum below them stops new uses only."""
    async with write_transaction(db):
        clash = await db.fetch_val(
            sa.select(coupons.c.id).where(
                coupons.c.studio_id == studio_id,
                coupons.c.code == values["code"],
                coupons.c.id != (coupon_id or 0),
            )
        )
        if clash is not None:
            raise CodeTaken
        if coupon_id is None:
            coupon_id = int(
                await db.execute(coupons.insert().values(studio_id=studio_id, **values))
            )
        else:
            used = await db.fetch_val(sa.select(coupons.c.used).where(coupons.c.id == coupon_id))
            if values["max_uses"] is not None:
                values = {**values, "max_uses": max(values["max_uses"], int(used or 0))}
            await db.execute(
                coupons.update()
                .where(coupons.c.id == coupon_id, coupons.c.studio_id == studio_id)
                .values(**values)
            )
            await db.execute(coupon_minis.delete().where(coupon_minis.c.coupon_id == coupon_id))
        for mini_id in sorted(chosen or ()):
            await db.execute(
                coupon_minis.insert().values(coupon_id=coupon_id, mini_session_id=mini_id)
            )
    return coupon_id


async def set_coupon_archived(db: Database, studio_id: int, coupon_id: int, archived: bool) -> bool:
    async with write_transaction(db):
        row = await db.fetch_one(
            coupons.update()
            .where(coupons.c.id == coupon_id, coupons.c.studio_id == studio_id)
            .values(archived=archived)
            .returning(coupons.c.id)
        )
    return row is not None


# Tax rates ----------------------------------------------------------------------------


def check_tax_rate(
    form: Mapping[str, str], mini_ids: set[int], addon_ids: set[int]
) -> tuple[dict[str, Any], set[int] | None, set[int] | None]:
    """Column values, the mini sessions (None: all) and add-ons (None: all) it applies to."""
    errors: dict[str, str] = {}
    name = _text(form, "name", 100, errors)
    if not name:
        errors["name"] = _("Name the tax as clients see it, e.g. Sales tax.")
    rate = 0
    try:
        rate = parse_percent(form.get("rate", ""), 1, MAX_TAX_PPM)
    except ValueError as exc:
        errors["rate"] = str(exc)
    minis: set[int] | None = None
    if form.get("mini_scope") == "some":
        minis = _ids(form, "mini_", mini_ids)
        if minis is None:
            errors["mini_scope"] = _("Tick mini sessions of your studio.")
    addons_chosen: set[int] | None = None
    if form.get("addon_scope") in {"some", "none"}:
        addons_chosen = _ids(form, "addon_", addon_ids) if form["addon_scope"] == "some" else set()
        if addons_chosen is None:
            errors["addon_scope"] = _("Tick add-ons of your studio.")
    values = {
        "name": name,
        "rate_ppm": rate,
        "inclusive": form.get("inclusive") == "1",
        "all_minis": minis is None,
        "all_addons": addons_chosen is None,
    }
    errors |= unstorable_fields(form)
    if errors:
        raise InvalidDetails(errors)
    return values, minis, addons_chosen


class TaxRateRow(NamedTuple):
    id: int
    studio_id: int
    name: str
    rate_ppm: int
    inclusive: bool
    all_minis: bool
    all_addons: bool
    archived: bool


async def studio_tax_rates(db: Database, studio_id: int) -> list[TaxRateRow]:
    return await fetch_all_as(
        db,
        sa.select(tax_rates)
        .where(tax_rates.c.studio_id == studio_id)
        .order_by(tax_rates.c.archived, tax_rates.c.id),
        TaxRateRow,
    )


async def studio_tax_rate(db: Database, studio_id: int, rate_id: int) -> TaxRateRow | None:
    return await fetch_one_as(
        db,
        sa.select(tax_rates).where(tax_rates.c.id == rate_id, tax_rates.c.studio_id == studio_id),
        TaxRateRow,
    )


async def tax_rate_targets(db: Database, rate_id: int) -> tuple[set[int], set[int]]:
    minis = await db.fetch_all(
        sa.select(tax_rate_minis.c.mini_session_id).where(tax_rate_minis.c.tax_rate_id == rate_id)
    )
    extras = await db.fetch_all(
        sa.select(tax_rate_addons.c.addon_id).where(tax_rate_addons.c.tax_rate_id == rate_id)
    )
    return {r["mini_session_id"] for r in minis}, {r["addon_id"] for r in extras}


async def save_tax_rate(
    db: Database,
    studio_id: int,
    values: dict[str, Any],
    minis: set[int] | None,
    addons_chosen: set[int] | None,
    rate_id: int | None = None,
) -> int:
    """Add or change a rate. Quotes already given keep the tax they were given with."""
    async with write_transaction(db):
        if rate_id is None:
            rate_id = int(
                await db.execute(tax_rates.insert().values(studio_id=studio_id, **values))
            )
        else:
            await db.execute(
                tax_rates.update()
                .where(tax_rates.c.id == rate_id, tax_rates.c.studio_id == studio_id)
                .values(**values)
            )
            await db.execute(tax_rate_minis.delete().where(tax_rate_minis.c.tax_rate_id == rate_id))
            await db.execute(
                tax_rate_addons.delete().where(tax_rate_addons.c.tax_rate_id == rate_id)
            )
        for mini_id in sorted(minis or ()):
            await db.execute(
                tax_rate_minis.insert().values(tax_rate_id=rate_id, mini_session_id=mini_id)
            )
        for addon_id in sorted(addons_chosen or ()):
            await db.execute(
                tax_rate_addons.insert().values(tax_rate_id=rate_id, addon_id=addon_id)
            )
    return rate_id


async def set_tax_rate_archived(db: Database, studio_id: int, rate_id: int, archived: bool) -> bool:
    async with write_transaction(db):
        row = await db.fetch_one(
            tax_rates.update()
            .where(tax_rates.c.id == rate_id, tax_rates.c.studio_id == studio_id)
            .values(archived=archived)
            .returning(tax_rates.c.id)
        )
    return row is not None


async def studio_addon_choices(db: Database, studio_id: int) -> list[dict[str, Any]]:
    """Every live add-on of the studio with its mini session's title (for the tax form)."""
    found = await db.fetch_all(
        sa.select(addons.c.id, addons.c.name, mini_sessions.c.title)
        .join(mini_sessions, mini_sessions.c.id == addons.c.mini_session_id)
        .where(mini_sessions.c.studio_id == studio_id, addons.c.archived == sa.false())
        .order_by(mini_sessions.c.title, addons.c.id)
    )
    return [{"id": r["id"], "name": r["name"], "mini": r["title"]} for r in found]
