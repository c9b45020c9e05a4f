"""Every kind of email scores under 2.0 with SpamAssassin (``spamassassin -t -L``), sent as
a real deployment sends it: a logo uploaded, the studio's notification address on a
free-mail domain, MINIS_MAIL_FROM on the service's domain, over real SMTP.

The scores are recorded in bench/README.md ("Spam scores"); ``pytest -s`` prints them.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import book_with_demo_card, pay_offline, start
from tests.support.mail import set_mini, tick
from tests.support.queries import all_bookings
from tests.support.smtp import SmtpServer
from tests.support.spam import spam_scores
from tests.support.world import World
from widget_server.booking.cancel import cancel_for_client
from widget_server.booking.unpaid import remind_and_release_unpaid
from widget_server.booking.views import load_booking_by_id
from widget_server.config import Settings
from widget_server.db.tables import studios
from widget_server.studio.logos import check_logo, replace_logo

LIMIT = 2.0
STUDIO_INBOX = "acme.photography@gmail.com"  # free mail, as many photographers have
NOTICE = (
    "**Bring** a favourite toy and a snack.\n\n"
    "- Arrive 5 minutes early\n- Wear solid colours\n\n"
    "Questions? See [our FAQ](https://acme.example/faq)."
)


def _png() -> bytes:
    """A real 120 by 48 PNG, as a photographer would upload."""
    width, height = 120, 48
    rows = b"".join(b"\x00" + b"\x3b\x5b\xdb" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(
        base_url="https://book.example.com", mail_from="Bookings <bookings@book.example.com>"
    )


def _set_up_studio(db_url: str, clock: FakeClock) -> None:
    async def work(db: Database) -> None:
        studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == "acme"))
        await db.execute(
            studios.update().where(studios.c.id == studio_id).values(notify_email=STUDIO_INBOX)
        )
        await replace_logo(db, studio_id, check_logo(_png()), clock())

    run_db(db_url, work)


def _cancel_for_client(db_url: str, clock: FakeClock) -> None:
    """The studio cancels the last booking for its client, refunding in full (the
    dashboard's action; its refund is carried out elsewhere and changes no email)."""
    booking_id = all_bookings(db_url)[-1]["id"]

    async def work(db: Database) -> None:
        booking = await load_booking_by_id(db, booking_id)
        assert booking is not None
        await cancel_for_client(db, booking, "The park is closed that day.", "full", clock())

    run_db(db_url, work)


def test_every_kind_of_email_scores_under_2(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    settings = settings.with_(smtp_url=smtp.url)
    _set_up_studio(db_url, clock)
    set_mini(
        db_url,
        "portraits",
        confirmation_notice=NOTICE,
        change_cutoff_hours=1,
        cancel_refund_policy="keep_deposit",
    )
    set_mini(db_url, "family", offline_pay_hours=24)
    emails: dict[str, bytes] = {}

    def sent(**expected: str) -> None:
        """Deliver what is due: one new email per label, told apart by its subject's start."""
        before = len(smtp.raw_messages())
        assert tick(settings, clock).sent == len(expected)
        new = smtp.raw_messages()[before:]
        subjects = [" ".join(str(m["Subject"]).split()) for m in smtp.messages()[before:]]
        for label, subject_start in expected.items():
            [raw] = [r for r, s in zip(new, subjects, strict=True) if s.startswith(subject_start)]
            emails[label] = raw

    token = book_with_demo_card(client, world.slots["portraits"][0])
    sent(booked_deposit="You're booked", new_booking="New booking")
    offline = start(client, world.slots["family"][0], "family", email="bea@example.com")
    assert pay_offline(client, offline).status_code == 303
    sent(booked_offline="You're booked", new_booking_offline="New booking")
    assert client.post(f"/b/{token}/reschedule", data={"slot": str(world.slots["portraits"][1])})
    sent(rescheduled="Your session has moved", rescheduled_studio="Rescheduled:")
    book_with_demo_card(client, world.slots["card-only"][0], "card-only")
    sent(booked_in_full="You're booked", new_booking_in_full="New booking")
    _cancel_for_client(db_url, clock)
    sent(cancelled_by_studio="Acme Photo cancelled your booking")
    clock.advance(hours=13)  # halfway to the offline booking's 24-hour deadline
    run_db(db_url, lambda db: remind_and_release_unpaid(db, clock()))
    sent(payment_due="Payment due by")
    clock.advance(hours=10, minutes=25)  # 24 hours before the moved session
    sent(
        reminder="Reminder: Portraits",
        balance_reminder_after_deposit="Balance due for Portraits",
        reminder_offline="Reminder: Family",
        balance_reminder_nothing_paid="Balance due for Family",
    )
    assert client.post(f"/b/{token}/cancel", data={"confirm": "yes"}).status_code == 303
    sent(cancelled_by_client="Your booking is cancelled", cancelled_studio="Cancelled:")
    clock.advance(hours=1)  # past the offline booking's deadline
    run_db(db_url, lambda db: remind_and_release_unpaid(db, clock()))
    sent(cancelled_released="Your time was released", cancelled_studio_released="Released")

    scores = dict(zip(emails, spam_scores(list(emails.values())), strict=True))
    report = io.StringIO()
    for label, result in scores.items():
        print(f"{label:32} {result.score:5.1f}  {' '.join(result.rules)}", file=report)
    print("\n" + report.getvalue())
    too_high = {k: v for k, v in scores.items() if v.score >= LIMIT}
    assert not too_high, report.getvalue()
