"""`minis demo` offers card payments through Stripe when STRIPE_SECRET_KEY is set, only then."""

from __future__ import annotations

from databases import Database

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from widget_server.booking.catalog import MiniSession, Studio, studio_by_slug
from widget_server.config import load_settings
from widget_server.db.tables import mini_sessions
from widget_server.demo import seed_demo
from widget_server.payments import PaymentMethods


def _demo_minis(db_url: str, clock: FakeClock) -> tuple[Studio, list[MiniSession]]:
    async def work(db: Database) -> tuple[Studio, list[MiniSession]]:
        await seed_demo(db, clock())
        rows = await db.fetch_all(mini_sessions.select().order_by(mini_sessions.c.id))
        studio = await studio_by_slug(db, "demo")
        assert studio is not None
        return studio, [MiniSession.from_mapping(r._mapping) for r in rows]

    return run_db(db_url, work)


def test_demo_sessions_offer_stripe_only_with_a_key(db_url: str, clock: FakeClock) -> None:
    studio, (fall, santa, family) = _demo_minis(db_url, clock)
    assert studio.method_keys == ["offline", "demo", "stripe"]
    plain = load_settings({"MINIS_DATABASE_URL": db_url}, demo=True)
    with_key = load_settings(
        {"MINIS_DATABASE_URL": db_url, "STRIPE_SECRET_KEY": "sk_test_x"}, demo=True
    )
    plain_methods = PaymentMethods.from_settings(plain)
    key_methods = PaymentMethods.from_settings(with_key)
    assert [m.key for m in plain_methods.offered(studio, fall)] == ["demo", "offline"]
    assert [m.key for m in plain_methods.offered(studio, santa)] == ["demo"]
    assert [m.key for m in key_methods.offered(studio, fall)] == ["stripe", "demo", "offline"]
    assert [m.key for m in key_methods.offered(studio, santa)] == ["stripe", "demo"]
    assert [m.key for m in key_methods.offered(studio, family)] == ["stripe", "demo", "offline"]
