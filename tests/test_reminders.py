"""Reminders: queued once, at the right time by the clock, and sent over real SMTP."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.flow import book_with_demo_card, pay_offline, start
from tests.support.mail import kinds, set_mini, tick
from tests.support.smtp import SmtpServer
from tests.support.world import World
from widget_server.config import Settings

# The world's first portraits slot starts 47 hours after the clock's "now"
# (Thu Nov 26, 14:00 UTC); with the default 24 hours the reminder is due at
# Wed Nov 25, 14:00 UTC, 23 hours from now.
UNTIL_DUE = {"hours": 23}


def test_reminder_and_balance_reminder_are_sent_once_at_the_right_time(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    settings = settings.with_(smtp_url=smtp.url)
    token = book_with_demo_card(client, world.slots["portraits"][0])
    assert tick(settings, clock).sent == 2  # the confirmations
    clock.advance(hours=22, minutes=59, seconds=59)
    assert tick(settings, clock).sent == 0
    clock.advance(seconds=1)
    assert tick(settings, clock).sent == 2
    for _ in range(3):
        clock.advance(hours=1)
        assert tick(settings, clock).sent == 0
    assert [k for k, _ in kinds(db_url)] == [
        "booked",
        "new_booking",
        "reminder",
        "balance_reminder",
    ]
    received = {m["Subject"]: m for m in smtp.wait_for(4)}
    reminder = received["Reminder: Portraits, Thu, Nov 26, 9:00 AM EST"]
    assert reminder["To"].addresses[0].addr_spec == "ada@example.com"
    body = reminder.get_body(preferencelist=("plain",)).get_content()
    assert f"/b/{token}" in body and "Park, 1 Park Ave" in body
    assert [a.get_content_type() for a in reminder.iter_attachments()] == ["text/calendar"]
    balance = received["Balance due for Portraits: $150.00"]
    balance_text = balance.get_body(preferencelist=("plain",)).get_content()
    assert "deposit of $50.00" in balance_text and "Bank transfer to ACME 123." in balance_text
    assert len(smtp.messages()) == 4


def test_a_balance_reminder_also_goes_when_nothing_was_paid_offline_none_paid_or_cancelled(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    set_mini(db_url, "family", change_cutoff_hours=0)
    offline = []
    for slot in world.slots["family"][:2]:
        token = start(client, slot, "family")
        assert pay_offline(client, token).status_code == 303
        offline.append(token)
    client.post(f"/b/{offline[1]}/cancel", data={"confirm": "yes"})
    book_with_demo_card(client, world.slots["card-only"][0], "card-only")  # paid in full
    clock.advance(**UNTIL_DUE)
    tick(settings, clock)  # no SMTP: the reminders are queued and stay pending
    reminders = [k for k in kinds(db_url) if k[0] in {"reminder", "balance_reminder"}]
    assert sorted(reminders) == [
        ("balance_reminder", "ada@example.com"),  # the unpaid offline booking only
        ("reminder", "ada@example.com"),
        ("reminder", "ada@example.com"),
    ]
    tick(settings.with_(smtp_url=smtp.url), clock)
    [balance] = [m for m in smtp.wait_for(8) if str(m["Subject"]).startswith("Balance due")]
    text = " ".join(balance.get_body(preferencelist=("plain",)).get_content().split())
    assert "$90.00 for your Family session is due" in text and "deposit" not in text
    assert "How to pay Acme Photo: Bank transfer to ACME 123." in text


def test_bookings_made_inside_the_window_and_sessions_without_reminders_get_none(
    client: TestClient, world: World, db_url: str, clock: FakeClock, settings: Settings
) -> None:
    set_mini(db_url, "portraits", reminder_hours=48)  # already inside the window when booked
    set_mini(db_url, "card-only", reminder_hours=0)  # reminders switched off
    book_with_demo_card(client, world.slots["portraits"][0])
    book_with_demo_card(client, world.slots["card-only"][0], "card-only")
    for _ in range(3):
        tick(settings, clock)
        clock.advance(hours=12)
    assert [k for k, _ in kinds(db_url)] == ["booked", "new_booking"] * 2


def test_a_rescheduled_booking_is_reminded_of_its_new_time(
    client: TestClient, world: World, db_url: str, clock: FakeClock, settings: Settings
) -> None:
    set_mini(db_url, "portraits", change_cutoff_hours=1)
    token = book_with_demo_card(client, world.slots["portraits"][0])
    clock.advance(**UNTIL_DUE)
    tick(settings, clock)
    meadow = world.slots["portraits"][-2]  # the next day at 15:00, in Denver
    assert client.post(f"/b/{token}/reschedule", data={"slot": str(meadow)}).status_code == 303
    tick(settings, clock)
    # Fri 15:00 in Denver is 22:00 UTC, so the new reminder is due Thu 22:00 UTC,
    # 32 hours after Wed 14:00 UTC.
    clock.advance(hours=31, minutes=59)
    tick(settings, clock)
    assert len([k for k, _ in kinds(db_url) if k.endswith("reminder")]) == 2
    clock.advance(minutes=1)
    tick(settings, clock)
    assert [k for k, _ in kinds(db_url) if k.endswith("reminder")] == [
        "reminder",
        "balance_reminder",
        "reminder",
        "balance_reminder",
    ]
