"""Emails in the client's language: the lead's (kept from when the email was queued),
else the studio's default, else English; the photographer's emails stay English.

No language ships translations yet, so these tests compile a small French catalogue of
their own (``french``): a known message rendered in French proves the email was written
under the client's language, whatever the shipped catalogues hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import pay_demo, start
from tests.support.mail import (
    calendar_summaries,
    deliver,
    deliver_from_booked_to_cancelled,
    html_body,
    set_mini,
    text_body,
)
from tests.support.queries import rows
from tests.support.smtp import SmtpServer
from tests.support.world import World
from widget_server import i18n
from widget_server.booking.catalog import mini_session_by_id, studio_by_id
from widget_server.booking.details import ClientDetails
from widget_server.booking.drops import add_early_emails, queue_early_access_emails
from widget_server.booking.email_language import choose_language
from widget_server.booking.handoff import Preferences
from widget_server.booking.notify_list import announce, ask_to_subscribe
from widget_server.booking.waitlist import join_waitlist
from widget_server.config import Settings
from widget_server.db.outbox import OutboxEmail
from widget_server.db.tables import leads, outbox, studios, subscribers, waitlist_entries
from widget_server.mail.compose import build_message
from widget_server.mail.render import RenderedEmail, render_email

FRENCH = {
    "You're booked: %(title)s, %(when)s": "C'est réservé : %(title)s, %(when)s",
    "Your session has moved to %(when)s": "Votre séance est déplacée au %(when)s",
    "Your booking is cancelled: %(title)s, %(when)s": "Réservation annulée : %(title)s, %(when)s",
    "Reminder: %(title)s, %(when)s": "Rappel : %(title)s, %(when)s",
    "You're booked, %(first)s!": "C'est réservé, %(first)s !",
    "Your session has moved": "Votre séance a changé d'heure",
    "Your booking is cancelled": "Votre réservation est annulée",
    "See you soon, %(first)s!": "À bientôt, %(first)s !",
    "%(title)s with %(studio)s": "%(title)s avec %(studio)s",
    "Please confirm: news of %(studio)s's mini sessions": "Confirmez : les nouvelles de %(studio)s",
    "New from %(studio)s: %(title)s": "Nouveau chez %(studio)s : %(title)s",
    "A spot opened up: %(title)s, %(when)s. Yours until %(deadline)s": (
        "Une place s'est libérée : %(title)s, %(when)s. À vous jusqu'à %(deadline)s"
    ),
    # The photographer's emails must not pick these up: they stay English.
    "New booking: %(client)s for %(title)s, %(when)s": "Nouvelle réservation : %(client)s",
    "Cancelled: %(client)s, %(title)s, %(when)s": "Annulée : %(client)s",
}


@pytest.fixture
def french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A French catalogue of the messages above, in force for the test."""
    catalog = Catalog(locale="fr", domain="messages")
    for msgid, msgstr in FRENCH.items():
        catalog.add(msgid, msgstr, flags=["python-format"])
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as mo:
        write_mo(mo, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    yield
    i18n.translations.cache_clear()


def _set(db_url: str, table: Any, **values: Any) -> None:
    async def work(db: Database) -> None:
        await db.execute(table.update().values(**values))

    run_db(db_url, work)


def _book(client: TestClient, db_url: str, slot_id: int, language: str | None) -> str:
    """Book ``slot_id`` as Ada, her lead in ``language`` (as the details step stores it)."""
    token = start(client, slot_id)
    _set(db_url, leads, language=language)
    response = pay_demo(client, token)
    assert response.status_code == 303, response.text
    return token


def _by_recipient_and_word(messages: list[EmailMessage]) -> dict[tuple[str, str], EmailMessage]:
    """(recipient, subject's first word) → message."""
    return {(m["To"].addresses[0].addr_spec, str(m["Subject"]).split()[0]): m for m in messages}


def _received(smtp: SmtpServer, count: int) -> dict[tuple[str, str], EmailMessage]:
    return _by_recipient_and_word(smtp.wait_for(count))


def _summary(message: EmailMessage) -> str:
    """The one calendar file's summary."""
    assert len(list(message.iter_attachments())) == 1
    [summary] = calendar_summaries(message)
    return summary


def _assert_french(message: EmailMessage) -> None:
    assert message["Content-Language"] == "fr"
    assert '<html lang="fr">' in html_body(message)


def _assert_english(message: EmailMessage) -> None:
    assert message["Content-Language"] == "en"
    assert '<html lang="en">' in html_body(message)


def test_a_french_client_gets_every_email_in_french_and_the_studio_in_english(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
    french: None,
) -> None:
    set_mini(db_url, "portraits", change_cutoff_hours=1, cancel_refund_policy="full")
    settings = settings.with_(smtp_url=smtp.url)
    token = _book(client, db_url, world.slots["portraits"][0], "fr")
    # Booked (2), the reminder and the balance reminder a day later by the sender's clock
    # (2), then moved and cancelled (4).
    sent, messages = deliver_from_booked_to_cancelled(
        client, settings, clock, smtp, token, world.slots["portraits"][1]
    )
    assert sent == [2, 2, 4]
    received = _by_recipient_and_word(messages)

    booked = received[("ada@example.com", "C'est")]
    _assert_french(booked)
    assert booked["Subject"].startswith("C'est réservé : Portraits, ")
    assert "C'est réservé, Ada !" in text_body(booked)
    assert "C'est réservé, Ada !" in html_body(booked)
    assert _summary(booked) == "Portraits avec Acme Photo"  # the calendar entry too
    studio = received[("acme@studio.test", "New")]
    _assert_english(studio)
    assert studio["Subject"].startswith("New booking: Ada Lovelace for Portraits, ")
    assert "Ada Lovelace booked Portraits" in text_body(studio)

    # The reminder, in her language.
    reminder = received[("ada@example.com", "Rappel")]
    _assert_french(reminder)
    assert "À bientôt, Ada !" in text_body(reminder)
    assert _summary(reminder) == "Portraits avec Acme Photo"

    moved = received[("ada@example.com", "Votre")]
    _assert_french(moved)
    assert "Votre séance a changé d'heure" in text_body(moved)
    cancelled = received[("ada@example.com", "Réservation")]
    _assert_french(cancelled)
    assert "Votre réservation est annulée" in text_body(cancelled)
    assert _summary(cancelled) == "Portraits avec Acme Photo"
    for subject_start in ("Rescheduled:", "Cancelled:"):
        [to_studio] = [
            m
            for (to, _), m in received.items()
            if to == "acme@studio.test" and str(m["Subject"]).startswith(subject_start)
        ]
        _assert_english(to_studio)


def test_a_queued_email_keeps_the_language_of_when_it_was_queued(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
    french: None,
) -> None:
    _book(client, db_url, world.slots["portraits"][0], "fr")
    # Changed while the confirmation waits in the outbox: it still speaks French.
    _set(db_url, leads, language="de")
    _set(db_url, studios, default_language="de")
    assert deliver(settings.with_(smtp_url=smtp.url), clock).sent == 2
    booked = _received(smtp, 2)[("ada@example.com", "C'est")]
    _assert_french(booked)


def test_a_client_without_a_language_gets_the_studios_default(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
    french: None,
) -> None:
    _set(db_url, studios, default_language="fr")
    _book(client, db_url, world.slots["portraits"][0], None)
    assert deliver(settings.with_(smtp_url=smtp.url), clock).sent == 2
    received = _received(smtp, 2)
    _assert_french(received[("ada@example.com", "C'est")])
    _assert_english(received[("acme@studio.test", "New")])  # the dashboard's language


def test_a_client_and_studio_without_languages_get_english(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
    french: None,
) -> None:
    _book(client, db_url, world.slots["portraits"][0], None)
    assert deliver(settings.with_(smtp_url=smtp.url), clock).sent == 2
    booked = _received(smtp, 2)[("ada@example.com", "You're")]
    _assert_english(booked)
    assert _summary(booked) == "Portraits with Acme Photo"


def _render_all(client: TestClient, db_url: str, kind: str) -> list[RenderedEmail]:
    async def work(db: Database) -> list[RenderedEmail]:
        found = await db.fetch_all(outbox.select().where(outbox.c.kind == kind))
        app: Any = client.app
        return [
            await render_email(
                db,
                OutboxEmail.from_row(row),
                base_url="http://book.test",
                tokens=app.state.tokens,
                now=app.state.clock(),
            )
            for row in found
        ]

    return run_db(db_url, work)


def test_an_email_queued_before_languages_speaks_the_leads_language_now(
    client: TestClient, world: World, db_url: str, french: None
) -> None:
    _book(client, db_url, world.slots["portraits"][0], None)

    async def forget_language(db: Database) -> None:
        for row in await db.fetch_all(outbox.select()):
            payload = json.loads(row._mapping["payload"])
            del payload["facts"]["language"]
            await db.execute(
                outbox.update()
                .where(outbox.c.id == row._mapping["id"])
                .values(payload=json.dumps(payload))
            )

    run_db(db_url, forget_language)
    _set(db_url, leads, language="fr")
    [booked] = _render_all(client, db_url, "booked")
    assert booked.language == "fr" and booked.subject.startswith("C'est réservé : Portraits")
    [studio] = _render_all(client, db_url, "new_booking")
    assert studio.language == "en" and studio.subject.startswith("New booking: Ada")


def test_subscribers_get_the_confirmation_and_announcements_in_their_language(
    client: TestClient, world: World, db_url: str, clock: FakeClock, french: None
) -> None:
    async def subscribe(db: Database) -> None:
        studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == "acme"))
        await ask_to_subscribe(db, studio_id, "Fr@Example.com", clock(), language="fr-CA")
        await ask_to_subscribe(db, studio_id, "en@example.com", clock())

    run_db(db_url, subscribe)
    stored = {r["email"]: r["language"] for r in _subscriber_rows(db_url)}
    assert stored == {"fr@example.com": "fr", "en@example.com": None}
    confirmations = {e.recipient: e for e in _render_all(client, db_url, "notify_confirm")}
    assert confirmations["fr@example.com"].language == "fr"
    assert confirmations["fr@example.com"].subject == "Confirmez : les nouvelles de Acme Photo"
    assert '<html lang="fr">' in confirmations["fr@example.com"].html
    assert confirmations["en@example.com"].language == "en"

    _set(db_url, subscribers, state="confirmed")

    async def announce_portraits(db: Database) -> None:
        mini = await mini_session_by_id(db, world.mini_ids["portraits"])
        assert mini is not None
        await announce(db, mini.studio_id, mini, clock())

    run_db(db_url, announce_portraits)
    _set(db_url, subscribers, language="de")  # later changes don't reach queued emails
    announcements = {e.recipient: e for e in _render_all(client, db_url, "announcement")}
    assert announcements["fr@example.com"].subject == "Nouveau chez Acme Photo : Portraits"
    assert announcements["en@example.com"].subject == "New from Acme Photo: Portraits"


def _subscriber_rows(db_url: str) -> list[dict[str, Any]]:
    return rows(db_url, sa.select(subscribers).order_by(subscribers.c.id))


def test_the_language_is_chosen_in_order_and_named_in_the_header() -> None:
    assert choose_language("fr", "de") == "fr"
    assert choose_language(None, "de") == "de"
    assert choose_language("xx", "pt-br") == "pt_BR"
    assert choose_language(None, None) == "en"
    rendered = RenderedEmail(
        kind="booked",
        recipient="ada@example.com",
        recipient_name="Ada",
        subject="Réservé",
        text="Bonjour\n",
        html="<p>Bonjour</p>",
        studio_name="Acme Photo",
        reply_to=None,
        attachments=[],
        language="pt_BR",
    )
    message = build_message(
        rendered, mail_from="mail@minis.test", message_id="<a@b>", date=datetime.now(UTC)
    )
    assert message["Content-Language"] == "pt-BR"


def test_a_waitlist_offer_speaks_the_language_the_client_joined_in(
    client: TestClient, world: World, db_url: str, clock: FakeClock, french: None
) -> None:
    mini = "card-only"  # one client per slot: sold out after five bookings
    set_mini(db_url, mini, change_cutoff_hours=0)
    tokens = []
    for n, slot_id in enumerate(world.slots[mini]):
        token = start(client, slot_id, mini, email=f"booker{n}@example.com")
        assert pay_demo(client, token).status_code == 303
        tokens.append(token)

    async def join(db: Database) -> None:
        found = await mini_session_by_id(db, world.mini_ids[mini])
        studio = await studio_by_id(db, found.studio_id) if found else None
        assert found is not None and studio is not None
        details = ClientDetails("Cy Young", "cy@example.com", "+12125550143")
        await join_waitlist(
            db,
            studio=studio,
            mini=found,
            details=details,
            preferences=Preferences(),
            now=clock(),
            language="fr",
        )

    run_db(db_url, join)
    entry_languages = rows(db_url, sa.select(waitlist_entries.c.language))
    assert entry_languages == [{"language": "fr"}]
    response = client.post(f"/b/{tokens[0]}/cancel", data={"confirm": "yes", "message": ""})
    assert response.status_code == 303, response.text
    [offer] = _render_all(client, db_url, "waitlist_offer")
    assert offer.recipient == "cy@example.com" and offer.language == "fr"
    assert offer.subject.startswith("Une place s'est libérée : Card Only, ")
    assert '<html lang="fr">' in offer.html


def test_early_access_speaks_the_language_its_client_last_booked_in(
    client: TestClient, world: World, db_url: str, clock: FakeClock, french: None
) -> None:
    _book(client, db_url, world.slots["portraits"][0], "fr")  # Ada booked in French
    _set(db_url, studios, default_language="de")

    async def send(db: Database) -> None:
        family = await mini_session_by_id(db, world.mini_ids["family"])
        assert family is not None
        await add_early_emails(db, family.id, ["ADA@example.com", "new@example.com"], clock())
        await queue_early_access_emails(db, family.studio_id, family, clock())

    run_db(db_url, send)
    emails = {e.recipient: e for e in _render_all(client, db_url, "early_access")}
    assert emails["ada@example.com"].language == "fr"
    assert '<html lang="fr">' in emails["ada@example.com"].html
    assert emails["new@example.com"].language == "de"  # no booking: the studio's default
