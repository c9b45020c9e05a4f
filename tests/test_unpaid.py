"""Offline bookings nobody pays for: reminded before the deadline, then released, once."""

from __future__ import annotations

import asyncio

from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import accept_quote, start
from tests.support.mail import deliver, kinds, set_mini, text_body
from tests.support.queries import all_bookings, all_payments, event_kinds, taken
from tests.support.smtp import SmtpServer
from tests.support.world import World
from widget_server.booking.unpaid import remind_and_release_unpaid
from widget_server.config import Settings
from widget_server.studio.offline_paid import mark_offline_paid

STUDIO = "acme@studio.test"


def _book_offline(client: TestClient, slot_id: int) -> str:
    token = start(client, slot_id, "family")
    accept_quote(client, token)
    assert client.post(f"/b/{token}/pay/offline").status_code == 303
    return token


def _round(db_url: str, clock: FakeClock) -> tuple[int, int]:
    return run_db(db_url, lambda db: remind_and_release_unpaid(db, clock()))


def test_reminded_once_then_released_and_both_told(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    set_mini(db_url, "family", offline_pay_hours=24)  # the session is two days away
    slot = world.slots["family"][0]
    token = _book_offline(client, slot)
    page = client.get(f"/b/{token}").text
    assert "Please pay" in page and "released for others to book" in page
    clock.advance(hours=11)
    assert _round(db_url, clock) == (0, 0)  # the reminder is due halfway, at 12 hours
    clock.advance(hours=2)
    assert _round(db_url, clock) == (1, 0)
    clock.advance(hours=1)
    assert _round(db_url, clock) == (0, 0)  # reminded once
    clock.advance(hours=10, minutes=1)
    assert _round(db_url, clock) == (0, 1)
    assert _round(db_url, clock) == (0, 0)  # released once
    [booking] = all_bookings(db_url)
    assert booking["status"] == "cancelled" and taken(db_url, slot) == 0
    assert [p["status"] for p in all_payments(db_url)] == ["failed"]  # never received
    assert event_kinds(db_url, booking["id"])[-1] == "cancelled"
    assert [k for k, _ in kinds(db_url)][-3:] == ["payment_due", "cancelled", "cancelled_studio"]
    deliver(settings.with_(smtp_url=smtp.url), clock)
    by_subject = {m["Subject"]: m for m in smtp.wait_for(len(kinds(db_url)))}
    due = next(m for s, m in by_subject.items() if s.startswith("Payment due by"))
    assert "Please pay by" in text_body(due) and "$90.00" in text_body(due)
    released = next(m for s, m in by_subject.items() if s.startswith("Your time was released"))
    assert "hadn't received your payment" in text_body(released)
    told = next(m for s, m in by_subject.items() if s.startswith("Released, not paid"))
    assert told["To"].addresses[0].addr_spec == STUDIO
    assert "released and is open again" in " ".join(text_body(told).split())
    # The time can be booked again by someone else.
    assert client.get(f"/acme/family/book?slot={slot}").status_code == 200


def test_paid_in_time_is_kept(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    set_mini(db_url, "family", offline_pay_hours=24)
    _book_offline(client, world.slots["family"][0])
    [booking], [payment] = all_bookings(db_url), all_payments(db_url)
    run_db(db_url, lambda db: mark_offline_paid(db, booking["id"], payment["id"], clock()))
    clock.advance(hours=30)
    assert _round(db_url, clock) == (0, 0)
    assert all_bookings(db_url)[0]["status"] == "booked"


def test_no_deadline_or_one_after_the_session_releases_nothing(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    set_mini(db_url, "family", offline_pay_hours=0)
    _book_offline(client, world.slots["family"][0])
    set_mini(db_url, "portraits", offline_pay_hours=72)  # the session comes first
    token = start(client, world.slots["portraits"][0])
    accept_quote(client, token)
    assert client.post(f"/b/{token}/pay/offline").status_code == 303
    assert "released for others" not in client.get(f"/b/{token}").text
    clock.advance(hours=47)
    assert _round(db_url, clock) == (0, 0)
    assert {b["status"] for b in all_bookings(db_url)} == {"booked"}


def test_marking_paid_and_the_deadline_racing_never_both_win(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    set_mini(db_url, "family", offline_pay_hours=24)
    _book_offline(client, world.slots["family"][0])
    [booking], [payment] = all_bookings(db_url), all_payments(db_url)
    clock.advance(hours=25)

    async def race(db: Database) -> list[object]:
        return list(
            await asyncio.gather(
                remind_and_release_unpaid(db, clock()),
                mark_offline_paid(db, booking["id"], payment["id"], clock()),
            )
        )

    released, marked = run_db(db_url, race)
    after = all_bookings(db_url)[0]["status"]
    status = all_payments(db_url)[0]["status"]
    if marked:
        assert released == (0, 0) and after == "booked" and status == "succeeded"
    else:
        assert released == (0, 1) and after == "cancelled" and status == "failed"
