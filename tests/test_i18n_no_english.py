"""Every shipped language, the whole client path: no English left on any page.

A client who chose a language walks the studio's page, a mini session, the details form
(refused, then accepted), the checkout (a declined card, then a paid one), the
confirmation, the reschedule and cancel pages, a cancellation, the offline and free paths,
and an unknown page. The photographer's own texts are set to Latin filler first, so every
English word left on a page can only be ours. Each page is checked two ways: no message
of the language's catalogue appears in its English form (the catalogue says what we
translate), and none of the common English words that no shipped language shares
appears at all (what was never marked).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import CLIENT, token_from
from tests.support.mail import (
    calendar_summaries,
    deliver_from_booked_to_cancelled,
    html_body,
    set_mini,
    text_body,
)
from tests.support.smtp import SmtpServer
from tests.support.text import visible_text
from tests.support.world import World
from widget_server import i18n
from widget_server.config import Settings
from widget_server.db.tables import locations, mini_sessions, studios

LANGUAGES = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT_LANGUAGE]
FILLER = "Lorem ipsum dolor sit amet."
CARD = "4242 4242 4242 4242"
# Words common in English UI text that none of es, fr, de, pt-BR, it, nl writes (so "is",
# "we", "of", "on", "was", "will", "also", "details", "continue" are not here).
ENGLISH = re.compile(
    r"\b(the|your|you|and|with|this|that|our|are|to|for|at|by|from|not|can|have|has|been"
    r"|when|what|please|back|before|after|until|left|here|there|pay|book|booked|choose"
    r"|time|times|spot|spots|free|paid|held|cancel|reschedule|deposit|balance)\b",
    re.IGNORECASE,
)


def catalogue(language: str) -> Catalog:
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with Path(path).open("rb") as file:
        return read_po(file)


def english_sources(language: str) -> list[str]:
    """The catalogue's English messages whose translation differs, long enough not to be
    a word the languages share: each must never show in its English form."""
    found = []
    for message in catalogue(language):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for source in ids:
            if not source or " " not in source or "%(" in source or source in strings:
                continue
            found.append(" ".join(source.split()))
    return found


def assert_no_english(page: str, language: str, where: str) -> None:
    assert f'<html lang="{i18n.html_lang(language)}"' in page, where
    text = visible_text(page)
    left = [source for source in english_sources(language) if source in text]
    assert not left, f"{language} {where}: English messages on the page: {left}"
    words = sorted({match.group(0) for match in ENGLISH.finditer(text)})
    assert not words, f"{language} {where}: English words {words} in: {text}"


def latin_photographer_texts(db_url: str) -> None:
    """The photographer's own words in Latin: whatever English is left is the product's."""

    async def work(db: Database) -> None:
        await db.execute(sa.update(studios).values(offline_instructions=FILLER))
        await db.execute(
            sa.update(mini_sessions).values(title="Sessio", description=FILLER, terms=FILLER)
        )
        await db.execute(sa.update(locations).values(address="Via Appia 1", notes=""))

    run_db(db_url, work)


def walk(client: TestClient, world: World, language: str) -> Iterator[tuple[str, str]]:
    """(where, page) for every page of the client's path, in ``language``."""
    lang = f"lang={language}"
    yield "studio", client.get(f"/acme?{lang}").text
    yield "mini session", client.get(f"/acme/portraits?{lang}").text
    slot = world.slots["portraits"][-1]  # far enough ahead to be changed online
    book = f"/acme/portraits/book?slot={slot}&{lang}"
    yield "details", client.get(book).text
    refused = client.post(book, data={**CLIENT, "email": "not-an-address", "name": ""})
    assert refused.status_code in (400, 422), refused.status_code
    yield "details refused", refused.text
    accepted = client.post(book, data=CLIENT)
    assert accepted.status_code == 303, accepted.text
    token = token_from(accepted)
    # From here on nothing in the links names the language: the lead keeps it.
    yield "checkout", client.get(f"/b/{token}/quote").text
    declined = client.post(
        f"/b/{token}/quote", data={"method": "demo", "card": "4000 0000 0000 0002"}
    )
    yield "card declined", declined.text
    paid = client.post(f"/b/{token}/quote", data={"method": "demo", "card": "4242 4242 4242 4242"})
    assert paid.status_code == 303, paid.text
    yield "confirmation", client.get(f"/b/{token}?done=booked").text
    yield "reschedule", client.get(f"/b/{token}/reschedule").text
    yield "cancel", client.get(f"/b/{token}/cancel").text
    cancelled = client.post(f"/b/{token}/cancel", data={"confirm": "yes"}, follow_redirects=True)
    yield "cancelled", cancelled.text

    family = world.slots["family"][0]
    offline = client.post(f"/acme/family/book?slot={family}&{lang}", data=CLIENT)
    assert offline.status_code == 303, offline.text
    offline_token = token_from(offline)
    yield "offline checkout", client.get(f"/b/{offline_token}/quote").text
    reserved = client.post(f"/b/{offline_token}/quote", data={}, follow_redirects=True)
    yield "offline confirmation", reserved.text

    free = world.slots["free-day"][0]
    yield "free details", client.get(f"/acme/free-day/book?slot={free}&{lang}").text
    booked_free = client.post(
        f"/acme/free-day/book?slot={free}&{lang}",
        data={**CLIENT, "email": "grace@example.com"},
        follow_redirects=True,
    )
    yield "free confirmation", booked_free.text
    yield "not found", client.get(f"/acme/no-such-mini?{lang}").text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_whole_path_has_no_english_left(
    client: TestClient, world: World, db_url: str, language: str
) -> None:
    latin_photographer_texts(db_url)
    pages = list(walk(client, world, language))
    assert len(pages) == 15
    for where, page in pages:
        assert_no_english(page, language, where)


def test_the_check_finds_english() -> None:
    """The checks themselves: an English message and an unmarked English word are found."""
    page = '<html lang="fr"><p>Merci</p><button aria-label="Close the menu">x</button></html>'
    with pytest.raises(AssertionError, match="English words"):
        assert_no_english(page, "fr", "sample")
    source = next(s for s in english_sources("fr") if len(s) > 20)
    with pytest.raises(AssertionError, match="English messages"):
        assert_no_english(f'<html lang="fr"><p>{source}</p></html>', "fr", "sample")


def assert_email_has_no_english(message: EmailMessage, language: str) -> None:
    where = f"email {message['Subject']!r}"
    assert message["Content-Language"] == i18n.html_lang(language), where
    html, text = html_body(message), text_body(message)
    summary = " ".join(calendar_summaries(message))
    assert_no_english(html, language, where)
    words = f"{message['Subject']} {text} {summary}"
    # The plain text part keeps the photographer's filler and the client's address.
    for source in english_sources(language):
        assert source not in " ".join(words.split()), f"{language} {where}: {source!r}"
    found = sorted({m.group(0) for m in ENGLISH.finditer(words.replace("example.com", ""))})
    assert not found, f"{language} {where}: English words {found} in: {words}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_client_email_has_no_english_left(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
    language: str,
) -> None:
    """Booked (with its calendar file), reminded, moved and cancelled: each email to the
    client, its subject and its calendar entry in the language they booked in."""
    latin_photographer_texts(db_url)
    set_mini(db_url, "portraits", change_cutoff_hours=1, cancel_refund_policy="full")
    settings = settings.with_(smtp_url=smtp.url)
    slot, later = world.slots["portraits"][0], world.slots["portraits"][1]
    details = client.post(f"/acme/portraits/book?slot={slot}&lang={language}", data=CLIENT)
    token = token_from(details)
    assert client.post(f"/b/{token}/quote", data={"method": "demo", "card": CARD}).is_redirect
    _, messages = deliver_from_booked_to_cancelled(client, settings, clock, smtp, token, later)
    to_client = [m for m in messages if m["To"].addresses[0].addr_spec == CLIENT["email"]]
    assert len(to_client) == 5  # booked, reminder, balance reminder, moved, cancelled
    for message in to_client:
        assert_email_has_no_english(message, language)
