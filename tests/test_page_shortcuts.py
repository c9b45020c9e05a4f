"""What the client pages keep or fold to cost less CPU (issue 19) says the same as before:
the studio page's one query for the studio and its mini sessions, formatted values kept per
language, the language decided once per request, the switcher's options made once."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, date, datetime, timedelta, timezone
from random import Random
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import get_timezone_name
from babel.numbers import format_currency
from databases import Database
from starlette.testclient import TestClient

from tests.support.databases import run_db
from tests.support.world import World
from widget_server import formatting, i18n
from widget_server.db.tables import mini_sessions, studios, text_translations
from widget_server.studio.accounts import create_studio
from widget_server.web.compression import SMALL_BODY, PageGZipResponder
from widget_server.web.language import Switch

INSTANT = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 in New York, an hour that repeats


def test_the_studio_page_lists_neither_archived_nor_draft_sessions(
    client: TestClient, db_url: str
) -> None:
    async def archive(db: Database) -> None:
        await db.execute(
            mini_sessions.update().where(mini_sessions.c.slug == "family").values(archived=True)
        )

    run_db(db_url, archive)
    page = client.get("/acme").text
    assert "Portraits" in page and "Family" not in page and "Draft One" not in page
    assert client.get("/nobody").status_code == 404


def test_a_studio_without_public_sessions_still_has_its_page(
    client: TestClient, db_url: str, world: World
) -> None:
    async def work(db: Database) -> None:
        await create_studio(
            db,
            slug="quiet",
            name="Quiet Studio",
            notify_email="quiet@studio.test",
            timezone="Europe/Paris",
            currency="EUR",
            now=datetime.now(UTC),
        )
        await db.execute(
            studios.update().where(studios.c.slug == "quiet").values(default_language="fr")
        )

    run_db(db_url, work)
    page = client.get("/quiet")
    assert page.status_code == 200
    assert "Quiet Studio" in page.text and '<li class="card' not in page.text
    # No browser language: the studio's default decides, read with the studio itself.
    assert page.headers["content-language"] == "fr"
    assert '<option value="fr" lang="fr" selected>Français</option>' in page.text


def test_the_studio_page_shows_the_sessions_texts_in_the_visitors_language(
    client: TestClient, db_url: str, world: World
) -> None:
    async def translate(db: Database) -> None:
        studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == "acme"))
        await db.execute(
            text_translations.insert().values(
                studio_id=studio_id,
                owner_kind="mini_session",
                owner_id=world.mini_ids["family"],
                field="title",
                language="de",
                text="Familienfotos",
            )
        )

    run_db(db_url, translate)
    german = client.get("/acme", headers={"accept-language": "de"}).text
    assert "Familienfotos" in german and "Portraits" in german
    assert "Familienfotos" not in client.get("/acme").text
    assert "Familienfotos" in client.get("/acme/family?lang=de").text


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_formatted_values_are_the_same_from_memory(language: str) -> None:
    """Each cached text equals Babel's own, in every language, asked in turn (the cache
    keeps languages apart) and again (the second answer comes from memory)."""
    locale = formatting._locale_of(language)
    day = date(2026, 12, 5)
    for _ in range(2):
        for other in (language, "en", language):
            with i18n.use_language(other):
                here = formatting._locale_of(other)
                assert formatting.money(12345, "EUR") == format_currency(123.45, "EUR", locale=here)
                assert formatting.day_short(day) == formatting._day_short_text(other, day)
                assert formatting.day_long(day) == formatting._day_long_text(other, day)
                new_york = INSTANT.astimezone(ZoneInfo("America/New_York"))
                assert formatting.zone_long(INSTANT, "America/New_York") == get_timezone_name(
                    new_york, "long", locale=here
                )
    with i18n.use_language(language):
        # Not cached, answered the same: a datetime as a day, a bool amount, local instants.
        as_day = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
        assert formatting.day_short(as_day) == formatting._day_short_text(language, as_day)
        assert formatting.money(True, "USD") == format_currency(0.01, "USD", locale=locale)
        # The hour that repeats: the same wall time, two instants an hour apart.
        first = INSTANT
        second = INSTANT + timedelta(hours=1)
        in_new_york = [t.astimezone(ZoneInfo("America/New_York")) for t in (first, second)]
        assert in_new_york[0] == in_new_york[1]  # equal to Python, though an hour apart
        texts = [formatting.clock_time(t, "UTC") for t in in_new_york]
        assert texts == [formatting.clock_time(first, "UTC"), formatting.clock_time(second, "UTC")]
        assert texts[0] != texts[1]
        offset = first.astimezone(timezone(timedelta(hours=2)))
        assert formatting.clock_time(offset, "Europe/Paris") == formatting.clock_time(
            first, "Europe/Paris"
        )


def test_known_language_reads_tags_as_people_write_them() -> None:
    cases = {
        "fr": "fr",
        "FR-ca": "fr",
        "pt": "pt_BR",
        "pt-PT": "pt_BR",
        "PT_br": "pt_BR",
        " de ": "de",
        "en-US": "en",
        "zz": None,
        "": None,
        "x" * 36: None,
        "_": None,
    }
    for _ in range(2):  # the second time from memory
        for tag, expected in cases.items():
            assert i18n.known_language(tag) == expected, tag


def test_the_switchers_options_follow_the_language_in_force() -> None:
    switch = Switch("/acme", [], list(i18n.LANGUAGES.items()))
    for language in [*i18n.LANGUAGES, "en"]:
        with i18n.use_language(language):
            options = str(switch.options)
        assert options.count("<option ") == len(i18n.LANGUAGES)
        assert options.count(" selected") == 1
        tag = i18n.html_lang(language)
        assert f'<option value="{language}" lang="{tag}" selected>' in options


def test_the_studio_summary_is_prepared_once_per_number_of_sessions(
    client: TestClient, db_url: str
) -> None:
    """Its statement is bound per request, not built: the same shape for every studio
    with as many sessions, whose notices still decide each session's open times."""
    from widget_server.booking.offers import _studio_summary

    assert _studio_summary(3) is _studio_summary(3)
    assert _studio_summary(3) is not _studio_summary(4)

    def notice(hours: int) -> None:
        run_db(
            db_url,
            lambda db: db.execute(
                mini_sessions.update()
                .where(mini_sessions.c.slug == "family")
                .values(min_notice_hours=hours)
            ),
        )

    card = 'href="/acme/family"'
    notice(24 * 365)  # no time of the family session is far enough ahead any more
    page = client.get("/acme").text
    assert "Sold out" in page.split(card)[1].split("</li>")[0]
    assert "Sold out" not in page.split('href="/acme/portraits"')[1].split("</li>")[0]
    notice(0)
    assert "Sold out" not in client.get("/acme").text.split(card)[1].split("</li>")[0]


def _starlette_gzip(body: bytes) -> bytes:
    """What Starlette's GZipMiddleware writes for a body sent in one piece."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def _page_gzip(body: bytes) -> bytes:
    responder = PageGZipResponder(lambda *_: None, 500)  # type: ignore[arg-type]
    return responder._compress_body(body, False)


def test_a_small_window_writes_the_same_bytes_for_pages() -> None:
    random = Random(19)
    words = [
        random.choice(["<li>", "</a>", "slot", " class=", "10:30", "Dec"]) for _ in range(4000)
    ]
    text = "".join(words).encode()
    noise = bytes(random.getrandbits(8) for _ in range(SMALL_BODY))
    for body in (
        text[:500],
        text[:5000],
        text[:SMALL_BODY],
        noise[:3000],
        noise,
        (text[:3000] + noise[:3000]) * 3,
    ):
        body = body[:SMALL_BODY]
        assert _page_gzip(body) == _starlette_gzip(body)
        assert gzip.decompress(_page_gzip(body)) == body
    # Beyond it, the full window as before (the same compressor, not just the same bytes).
    big = (text * 2)[: SMALL_BODY + 1]
    responder = PageGZipResponder(lambda *_: None, 500)  # type: ignore[arg-type]
    assert responder._compress_body(big, False) == _starlette_gzip(big)


def test_every_client_page_is_compressed_as_before(client: TestClient, world: World) -> None:
    slot = world.slots["portraits"][0]
    for path in ("/acme", "/acme/portraits", f"/acme/portraits/book?slot={slot}", "/nobody"):
        response = client.get(path, headers={"accept-encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        raw = response.content
        assert "accept-encoding" in response.headers["vary"].lower()
        assert len(raw) < SMALL_BODY  # these pages take the small window
        length = int(response.headers["content-length"])
        assert 0 < length < len(raw)  # what went over the wire: compressed
