"""Emails through the outbox to a real SMTP server: contents, retries, failures, no duplicates."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from databases import Database
from icalendar import Calendar
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import book_with_demo_card
from tests.support.mail import by_recipient, deliver, kinds, outbox_rows, parts, set_mini
from tests.support.smtp import SmtpServer
from tests.support.world import World
from widget_server.booking.tokens import BookingTokens
from widget_server.config import Settings
from widget_server.db.connection import create_database
from widget_server.db.outbox import (
    LEASE,
    MAX_ATTEMPTS,
    OutboxEmail,
    claim_due,
    emails_for_studio,
    mark_sent,
)
from widget_server.db.tables import outbox, studios
from widget_server.mail.compose import build_message
from widget_server.mail.preview import outbox_previews
from widget_server.mail.render import RenderedEmail
from widget_server.mail.sender import deliver_due, transport_for
from widget_server.notice import notice_text

NOTICE = (
    "**Bring** a favourite toy.\n\n"
    "<script>alert('notice')</script>\n\n"
    "[Parking](javascript:alert(1)) · [Our FAQ](https://acme.test/faq)"
)


def test_booking_queues_two_emails_that_stay_pending_without_smtp(
    client: TestClient, world: World, db_url: str, clock: FakeClock, settings: Settings
) -> None:
    book_with_demo_card(client, world.slots["portraits"][0])
    assert kinds(db_url) == [("booked", "ada@example.com"), ("new_booking", "acme@studio.test")]
    assert {r["status"] for r in outbox_rows(db_url)} == {"pending"}

    studio_id = outbox_rows(db_url)[0]["studio_id"]

    async def dashboard(db: Database) -> list[str]:
        tokens = BookingTokens(settings.secret_key)
        previews = await outbox_previews(
            db, studio_id, base_url="https://book.test", tokens=tokens, now=clock()
        )
        assert all(p.rendered and p.email.status == "pending" for p in previews)
        return [p.rendered.subject for p in previews if p.rendered]

    subjects = run_db(db_url, dashboard)
    assert subjects[0].startswith("New booking: Ada Lovelace for Portraits, Thu, Nov 26")
    assert subjects[1] == "You're booked: Portraits, Thu, Nov 26, 9:00 AM EST"


def test_confirmation_email_has_the_notice_details_calendar_and_manage_link(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    set_mini(db_url, "portraits", confirmation_notice=NOTICE)
    token = book_with_demo_card(client, world.slots["portraits"][0])
    settings = settings.with_(smtp_url=smtp.url, mail_from="Bookings <mail@minis.test>")
    report = deliver(settings, clock)
    assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
    received = by_recipient(smtp.wait_for(2))

    client_mail = received["ada@example.com"]
    assert client_mail["From"].addresses[0].display_name == "Acme Photo"
    assert client_mail["From"].addresses[0].addr_spec == "mail@minis.test"
    assert client_mail["To"].addresses[0].display_name == "Ada Lovelace"
    assert client_mail["Reply-To"].addresses[0].addr_spec == "acme@studio.test"
    assert client_mail["Subject"] == "You're booked: Portraits, Thu, Nov 26, 9:00 AM EST"
    text, html, attachments = parts(client_mail)
    manage = f"{settings.base_url}/b/{token}"
    assert manage in text and f'href="{manage}"' in html
    assert "Thursday, November 26, 2026" in text and "9:00 AM EST \u2013 9:20 AM" in text
    assert "Park, 1 Park Ave" in text and "Paid: $50.00, balance due: $150.00" in text
    # Plain text shows the Markdown as words: no marks, links with their address.
    assert "Bring a favourite toy." in text and "**" not in text
    assert "Our FAQ (https://acme.test/faq)" in text
    assert "<strong>Bring</strong> a favourite toy." in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and 'href="https://acme.test/faq"' in html
    assert "#3b5bdb" in html  # the studio's brand colour
    [ics] = attachments
    assert ics.get_content_type() == "text/calendar" and ics.get_filename().endswith(".ics")
    event = Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    assert event.decoded("dtstart").isoformat() == "2026-11-26T14:00:00+00:00"
    assert "Portraits with Acme Photo" in str(event["summary"])

    # Add to calendar, the map, and the preheader inboxes show after the subject.
    assert "Google Calendar: https://calendar.google.com/calendar/render?action=TEMPLATE" in text
    assert "dates=20261126T140000Z%2F20261126T142000Z" in text
    assert "Outlook: https://outlook.live.com/calendar/0/action/compose?" in text
    assert "startdt=2026-11-26T14%3A00%3A00Z" in text
    assert 'href="https://calendar.google.com/calendar/render?' in html
    assert 'href="https://outlook.live.com/calendar/0/action/compose?' in html
    assert "Map:       https://maps.test/p" in text and 'href="https://maps.test/p"' in html
    preheader = html.split('mso-hide:all;">', 1)[1].split("</div>", 1)[0]
    assert preheader == ("Thu, Nov 26, 9:00 AM EST at Park. Your calendar entry is attached.")

    studio_mail = received["acme@studio.test"]
    assert studio_mail["Subject"].startswith("New booking: Ada Lovelace for Portraits")
    assert studio_mail["Reply-To"].addresses[0].addr_spec == "ada@example.com"
    # Not "Acme Photo" to "Acme Photo": the service writes to the studio.
    assert studio_mail["From"].addresses[0].display_name == "Minis"
    assert studio_mail["To"].addresses[0].display_name == "Acme Photo"
    studio_text, studio_html, studio_attachments = parts(studio_mail)
    assert "ada@example.com" in studio_text and "+12125550143" in studio_text
    assert "Payment:   Paid $50.00 of $200.00." in studio_text
    booking_id = outbox_rows(db_url)[0]["booking_id"]
    dashboard = f"{settings.base_url}/admin/bookings/{booking_id}"
    assert f"Open the booking in your dashboard: {dashboard}" in studio_text
    assert f'href="{dashboard}"' in studio_html and "Thursday, November 26, 2026" in studio_html
    assert studio_attachments == []
    assert {r["status"] for r in outbox_rows(db_url)} == {"sent"}
    # Delivered once: another round finds nothing to send.
    assert deliver(settings, clock).sent == 0 and len(smtp.messages()) == 2


def test_a_server_outage_is_retried_with_backoff_and_nothing_is_lost(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    book_with_demo_card(client, world.slots["portraits"][0])
    settings = settings.with_(smtp_url=smtp.url)
    smtp.stop()
    report = deliver(settings, clock)
    assert (report.sent, report.retrying) == (0, 2)
    rows = outbox_rows(db_url)
    assert {(r["status"], r["attempts"]) for r in rows} == {("pending", 1)}
    assert all(r["last_error"] for r in rows)
    assert {r["next_attempt_at"] for r in rows} == {clock() + timedelta(seconds=30)}

    smtp.start()
    assert deliver(settings, clock).sent == 0  # not due yet: backoff
    clock.advance(seconds=30)
    assert deliver(settings, clock).sent == 2
    assert len(smtp.wait_for(2)) == 2
    assert {(r["status"], r["attempts"]) for r in outbox_rows(db_url)} == {("sent", 2)}


def test_backoff_grows_and_too_many_attempts_fail_visibly(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    book_with_demo_card(client, world.slots["portraits"][0])
    settings = settings.with_(smtp_url=smtp.url)
    smtp.stop()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        before = clock()
        deliver(settings, clock)
        row = outbox_rows(db_url)[0]
        waits.append(row["next_attempt_at"] - before)
        clock.now = row["next_attempt_at"]
    assert waits[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert {(r["status"], r["attempts"]) for r in outbox_rows(db_url)} == {("failed", MAX_ATTEMPTS)}

    studio_id = outbox_rows(db_url)[0]["studio_id"]

    async def failed(db: Database) -> list[str]:
        return [e.kind for e in await emails_for_studio(db, studio_id, ("failed",))]

    assert sorted(run_db(db_url, failed)) == ["booked", "new_booking"]


def test_a_refused_recipient_fails_at_once_and_the_rest_is_sent(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    smtp.recorder.refuse.add("ada@example.com")
    book_with_demo_card(client, world.slots["portraits"][0])
    report = deliver(settings.with_(smtp_url=smtp.url), clock)
    assert (report.sent, report.failed) == (1, 1)
    by_kind = {r["kind"]: r for r in outbox_rows(db_url)}
    assert by_kind["booked"]["status"] == "failed" and by_kind["booked"]["attempts"] == 1
    assert "550" in by_kind["booked"]["last_error"]
    assert by_kind["new_booking"]["status"] == "sent"


def _many_emails(client: TestClient, world: World) -> int:
    for slot in world.slots["family"]:
        book_with_demo_card_on(client, slot)
    return 2 * len(world.slots["family"])


def book_with_demo_card_on(client: TestClient, slot: int) -> None:
    from tests.support.flow import accept_quote, start

    token = start(client, slot, "family")
    accept_quote(client, token)
    assert client.post(f"/b/{token}/pay/offline").status_code == 303


def test_two_concurrent_senders_never_send_an_email_twice(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    expected = _many_emails(client, world)
    settings = settings.with_(smtp_url=smtp.url)
    transport = transport_for(settings)
    assert transport is not None

    async def two_senders() -> list[int]:
        # Two connections (pools), as two processes would have.
        dbs = [create_database(db_url), create_database(db_url)]
        for db in dbs:
            await db.connect()
        try:
            reports = await asyncio.gather(
                *(deliver_due(db, settings, transport, clock) for db in dbs)
            )
        finally:
            for db in dbs:
                await db.disconnect()
        return [r.sent for r in reports]

    sent = asyncio.run(two_senders())
    assert sum(sent) == expected
    ids = [m["Message-ID"] for m in smtp.wait_for(expected)]
    assert len(ids) == expected == len(set(ids))
    assert {r["status"] for r in outbox_rows(db_url)} == {"sent"}


async def _claim_all(db: Database, now: datetime) -> list[OutboxEmail]:
    """Every email claimable at ``now``, one lease at a time, as senders take them."""
    claimed = []
    while (email := await claim_due(db, now)) is not None:
        claimed.append(email)
    return claimed


def test_a_lapsed_lease_is_claimed_again_and_the_old_holder_cannot_mark_it(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    book_with_demo_card(client, world.slots["portraits"][0])

    async def work(db: Database) -> tuple[int, int, int, bool, bool]:
        first = await _claim_all(db, clock())
        during = await _claim_all(db, clock() + LEASE - timedelta(seconds=1))
        after = await _claim_all(db, clock() + LEASE)
        stale = await mark_sent(db, first[0], clock())
        fresh = await mark_sent(db, after[0], clock())
        return len(first), len(during), len(after), stale, fresh

    assert run_db(db_url, work) == (2, 0, 2, False, True)


@pytest.mark.parametrize(
    "name",
    ["Ada\r\nBcc: victim@example.com", "Ada\nSubject: spam", '"Ada" <evil@example.com>, x'],
)
def test_names_cannot_inject_headers(name: str) -> None:
    rendered = RenderedEmail(
        kind="booked",
        recipient="ada@example.com",
        recipient_name=name,
        subject=f"You're booked, {' '.join(name.split())}",
        text="hello",
        html="<p>hello</p>",
        studio_name=f"Studio\r\nBcc: x@example.com {name}",
        reply_to="studio@example.com",
        attachments=[],
    )
    from datetime import UTC, datetime

    message = build_message(
        rendered, mail_from="m@minis.test", message_id="<1@minis.test>", date=datetime.now(UTC)
    )
    raw = message.as_bytes()
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    names = [
        line.split(b":")[0].lower() for line in header_block.split(b"\r\n") if line[:1] != b" "
    ]
    assert b"bcc" not in names and names.count(b"subject") == 1
    assert [a.addr_spec for a in message["To"].addresses] == ["ada@example.com"]


def test_reschedule_and_cancel_emails_tell_both_sides(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    set_mini(db_url, "portraits", change_cutoff_hours=1, cancel_refund_policy="full")
    token = book_with_demo_card(client, world.slots["portraits"][0])
    new = world.slots["portraits"][1]
    assert client.post(f"/b/{token}/reschedule", data={"slot": str(new)}).status_code == 303
    settings = settings.with_(smtp_url=smtp.url)
    assert deliver(settings, clock).sent == 4
    message = "Sick kids <b>again</b>\r\nBcc: evil@example.com"
    client.post(f"/b/{token}/cancel", data={"message": message, "confirm": "yes"})
    assert deliver(settings, clock).sent == 2
    received = {m["Subject"]: m for m in smtp.wait_for(6)}

    moved = received["Your session has moved to Thu, Nov 26, 9:25 AM EST"]
    text, _, attachments = parts(moved)
    assert "it was Thu, Nov 26, 9:00 AM EST at Park" in text
    event = Calendar.from_ical(attachments[0].get_content()).walk("VEVENT")[0]
    assert event.decoded("dtstart").isoformat() == "2026-11-26T14:25:00+00:00"
    studio_moved = received[
        "Rescheduled: Ada Lovelace, Thu, Nov 26, 9:00 AM EST → Thu, Nov 26, 9:25 AM EST"
    ]
    assert studio_moved["To"].addresses[0].addr_spec == "acme@studio.test"

    cancelled = received["Your booking is cancelled: Portraits, Thu, Nov 26, 9:25 AM EST"]
    text, html, attachments = parts(cancelled)
    assert "All you paid, $50.00, is being refunded to you." in text
    studio = received["Cancelled: Ada Lovelace, Portraits, Thu, Nov 26, 9:25 AM EST"]
    text, html, _ = parts(studio)
    assert "Sick kids <b>again</b>\r\nBcc: evil@example.com" in text  # SMTP line endings
    assert "Sick kids &lt;b&gt;again&lt;/b&gt;" in html and "<b>again" not in html
    assert studio["Bcc"] is None and studio["Reply-To"].addresses[0].addr_spec == "ada@example.com"


def test_a_free_booking_queues_its_emails_too(
    client: TestClient, world: World, db_url: str
) -> None:
    slot = world.slots["free-day"][0]
    response = client.post(
        f"/acme/free-day/book?slot={slot}",
        data={"name": "Ada Lovelace", "email": "ada@example.com", "phone": "212 555 0143"},
    )
    assert response.status_code == 303
    assert kinds(db_url) == [("booked", "ada@example.com"), ("new_booking", "acme@studio.test")]


class StopAfterFirst:
    """A transport that asks the sender to stop while the first email is on the wire."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage, accepted: Callable[[], Awaitable[None]]) -> None:
        self.stop.set()
        self.sent.append(message)
        await accepted()


def test_stopping_finishes_the_email_in_hand_and_leaves_the_rest(
    client: TestClient, world: World, db_url: str, clock: FakeClock, settings: Settings
) -> None:
    book_with_demo_card(client, world.slots["portraits"][0])

    async def work(db: Database) -> int:
        stop = asyncio.Event()
        transport = StopAfterFirst(stop)
        report = await deliver_due(db, settings, transport, clock, stop)
        return report.sent + len(transport.sent)

    assert run_db(db_url, work) == 2  # one sent, and marked sent
    first, second = outbox_rows(db_url)
    assert (first["status"], second["status"]) == ("sent", "pending")
    # The rest was never leased: another sender can take it at once (and later too).
    assert second["lease_until"] is None
    assert len(run_db(db_url, lambda db: _claim_all(db, clock()))) == 1


def test_an_email_is_marked_sent_as_soon_as_the_server_has_it_before_the_goodbye(
    client: TestClient, world: World, db_url: str, clock: FakeClock, settings: Settings
) -> None:
    """The window in which a sender that dies would send an email again is as small as
    SMTP allows: the server's reply to the message, then the mark, then QUIT (here
    answered only once we have looked)."""
    book_with_demo_card(client, world.slots["portraits"][0])
    with SmtpServer(hold_quit=True) as smtp:
        sender = threading.Thread(target=deliver, args=(settings.with_(smtp_url=smtp.url), clock))
        sender.start()
        try:
            assert smtp.recorder.quitting.wait(20)
            during_goodbye = [r["status"] for r in outbox_rows(db_url)]
        finally:
            smtp.recorder.release.set()
            sender.join(timeout=20)
    assert during_goodbye == ["sent", "pending"]
    assert [r["status"] for r in outbox_rows(db_url)] == ["sent", "sent"]


def test_the_notice_reads_as_plain_text_in_the_text_part() -> None:
    source = (
        "**Bring** a _favourite_ toy.\n\n"
        "- Arrive early\n- Wear `solid` colours\n\n"
        "1. Park\n2. Smile\n\n"
        "[Our FAQ](https://acme.test/faq) or <https://acme.test>"
    )
    assert notice_text(source) == (
        "Bring a favourite toy.\n\n"
        "- Arrive early\n- Wear solid colours\n\n"
        "1. Park\n2. Smile\n\n"
        "Our FAQ (https://acme.test/faq) or https://acme.test"
    )
    assert notice_text("<b>raw</b> stays text") == "<b>raw</b> stays text"  # never markup
    assert notice_text("  ") == ""


def test_an_email_queued_before_facts_existed_is_rendered_from_the_booking_now(
    client: TestClient, world: World, db_url: str, clock: FakeClock, settings: Settings
) -> None:
    book_with_demo_card(client, world.slots["portraits"][0])

    async def forget_facts(db: Database) -> None:
        for row in await db.fetch_all(outbox.select()):
            payload = json.loads(row._mapping["payload"])
            payload.pop("facts")
            await db.execute(
                outbox.update()
                .where(outbox.c.id == row._mapping["id"])
                .values(payload=json.dumps(payload))
            )

    run_db(db_url, forget_facts)
    studio_id = outbox_rows(db_url)[0]["studio_id"]

    async def render(db: Database) -> list[RenderedEmail | None]:
        tokens = BookingTokens(settings.secret_key)
        previews = await outbox_previews(
            db, studio_id, base_url="https://book.test", tokens=tokens, now=clock()
        )
        return [p.rendered for p in previews]

    studio_email, client_email = run_db(db_url, render)
    assert client_email is not None and studio_email is not None
    assert client_email.subject == "You're booked: Portraits, Thu, Nov 26, 9:00 AM EST"
    [ics] = client_email.attachments
    assert ics.params == {"charset": "utf-8", "method": "REQUEST"}
    assert b"SEQUENCE:0" in ics.data
    assert "Paid $50.00 of $200.00." in studio_email.text


def test_a_waiting_email_shows_the_studios_logo_as_it_is_now(
    client: TestClient, world: World, db_url: str, clock: FakeClock, settings: Settings
) -> None:
    """The facts are the booking's; the logo says who writes, and a replaced logo's old URL
    is retired, so an email still waiting shows the current one."""
    book_with_demo_card(client, world.slots["portraits"][0])
    new_logo = "ab" * 32

    async def replace_logo(db: Database) -> None:
        await db.execute(studios.update().values(logo_sha256=new_logo, logo_type="image/png"))

    run_db(db_url, replace_logo)
    studio_id = outbox_rows(db_url)[0]["studio_id"]

    async def render(db: Database) -> list[str]:
        tokens = BookingTokens(settings.secret_key)
        previews = await outbox_previews(
            db, studio_id, base_url="https://book.test", tokens=tokens, now=clock()
        )
        return [p.rendered.html for p in previews if p.rendered]

    htmls = run_db(db_url, render)
    assert len(htmls) == 2
    assert all(f'src="https://book.test/logos/acme/{new_logo}.png"' in h for h in htmls)
