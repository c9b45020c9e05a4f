"""The client's language on the public pages: which one a request speaks (link, the lead's
stored language, the browser, the studio's default, English), that it is named and kept
through the flow without a cookie, the switcher, and Babel's formatting per language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import CLIENT, pay_demo, start, submit_details, token_from
from tests.support.queries import all_leads
from tests.support.world import World
from widget_server import formatting, i18n
from widget_server.db.tables import studios, subscribers, waitlist_entries
from widget_server.web.language import accepted


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]*)"', page)
    assert match, page[:200]
    return match.group(1)


def carried_lang(page: str) -> bool:
    """Whether a link or form before the footer (the switcher) carries ``lang``."""
    return re.search(r"[?&](amp;)?lang=", page.split("<footer")[0]) is not None


def set_default_language(db_url: str, language: str) -> None:
    async def work(db: Database) -> None:
        await db.execute(
            sa.update(studios).where(studios.c.slug == "acme").values(default_language=language)
        )

    run_db(db_url, work)


# --- precedence ---------------------------------------------------------------------------


def test_a_page_speaks_english_when_nothing_names_a_language(client: TestClient) -> None:
    page = client.get("/acme/portraits")
    assert page.status_code == 200
    assert html_lang(page.text) == "en"
    assert page.headers["content-language"] == "en"
    assert "Accept-Language" in page.headers["vary"]
    assert "Tuesday, November 24, 2026" in page.text


def test_the_browser_language_is_spoken_and_varied_on(client: TestClient) -> None:
    page = client.get("/acme/portraits", headers={"accept-language": "de-CH, fr;q=0.8"})
    assert html_lang(page.text) == "de"
    assert page.headers["content-language"] == "de"
    assert "Accept-Language" in page.headers["vary"]
    assert "Dienstag, 24. November 2026" in page.text


def test_the_studio_default_comes_after_the_browser(client: TestClient, db_url: str) -> None:
    set_default_language(db_url, "it")
    assert html_lang(client.get("/acme/portraits").text) == "it"
    assert html_lang(client.get("/acme").text) == "it"
    browser = client.get("/acme/portraits", headers={"accept-language": "nl-BE"})
    assert html_lang(browser.text) == "nl"
    # A browser naming only languages we don't ship leaves the studio's choice.
    unknown = client.get("/acme/portraits", headers={"accept-language": "ja, ko;q=0.5"})
    assert html_lang(unknown.text) == "it"


def test_the_lang_parameter_beats_browser_and_studio(client: TestClient, db_url: str) -> None:
    set_default_language(db_url, "it")
    page = client.get("/acme/portraits?lang=pt-BR", headers={"accept-language": "de"})
    assert html_lang(page.text) == "pt-BR"
    assert page.headers["content-language"] == "pt-BR"
    # The URL alone decides: one cached copy per URL is right.
    assert "Accept-Language" not in page.headers.get("vary", "")
    assert "terça-feira, 24 de novembro de 2026" in page.text


@pytest.mark.parametrize(
    "value",
    ["xx", "<script>alert(1)</script>", "fr\r\nSet-Cookie: a=b", "../../etc/passwd", "é" * 300],
)
def test_an_unknown_or_hostile_lang_is_ignored(client: TestClient, value: str) -> None:
    page = client.get("/acme/portraits?" + urlencode({"lang": value, "day": "x"}))
    assert page.status_code == 200
    assert html_lang(page.text) == "en"
    assert page.headers["content-language"] == "en"
    assert "set-cookie" not in page.headers
    assert "<script>alert" not in page.text and "etc/passwd" not in page.text
    assert not carried_lang(page.text)  # nothing carried on


@pytest.mark.parametrize(
    "header", ["*", "q=abc;;;,", "fr;q=x, de;q=2", "zz-ZZ;q=0.9, ,;", "de;q=0, en;q=0.1"]
)
def test_a_broken_accept_language_never_fails_a_page(client: TestClient, header: str) -> None:
    page = client.get("/acme/portraits", headers={"accept-language": header})
    assert page.status_code == 200
    assert html_lang(page.text) == "en"


def test_accept_language_is_read_by_its_q_values() -> None:
    assert accepted("en;q=0.2, fr-CA;q=0.9, de;q=0.5") == "fr"
    assert accepted("pt-PT") == "pt_BR"
    assert accepted("es-419,es;q=0.9") == "es"
    assert accepted("de;q=0, it") == "it"
    assert accepted("ja") is None and accepted("") is None


def test_an_error_page_speaks_the_visitors_language(client: TestClient) -> None:
    missing = client.get("/acme/no-such-session", headers={"accept-language": "fr"})
    assert missing.status_code == 404
    assert html_lang(missing.text) == "fr"
    assert missing.headers["content-language"] == "fr"


def test_the_dashboard_stays_english(client: TestClient) -> None:
    login = client.get("/admin/login?lang=fr", headers={"accept-language": "de"})
    assert html_lang(login.text) == "en"


# --- the flow keeps the language without a cookie -------------------------------------------


def test_a_chosen_language_is_carried_through_the_flow(client: TestClient) -> None:
    page = client.get("/acme/portraits?lang=fr&utm_source=mail")
    slot_link = re.search(r'href="(/acme/portraits/book\?slot=\d+[^"]*)"', page.text)
    assert slot_link and "lang=fr" in slot_link.group(1) and "utm_source=mail" in slot_link.group(1)
    details = client.get(slot_link.group(1).replace("&amp;", "&"))
    assert html_lang(details.text) == "fr"
    form = re.search(r'<form method="post" action="([^"]*)"', details.text)
    assert form and "lang=fr" in form.group(1)
    assert not client.cookies


def test_without_a_chosen_language_links_carry_none(client: TestClient) -> None:
    page = client.get("/acme/portraits", headers={"accept-language": "fr"})
    assert html_lang(page.text) == "fr"
    assert not carried_lang(page.text)


def test_the_lead_keeps_the_language_it_booked_in(
    client: TestClient, world: World, db_url: str
) -> None:
    slot_id = world.slots["portraits"][0]
    response = client.post(
        f"/acme/portraits/book?slot={slot_id}&lang=fr",
        data={"name": "Ada Lovelace", "email": "ada@example.com", "phone": "212 555 0143"},
    )
    assert response.status_code == 303
    assert "lang=fr" in response.headers["location"]
    token = token_from(response)
    assert [lead["language"] for lead in all_leads(db_url)] == ["fr"]
    # Later pages, with no parameter and another browser language: the lead's language.
    quote = client.get(f"/b/{token}/quote", headers={"accept-language": "de"})
    assert html_lang(quote.text) == "fr"
    assert pay_demo(client, token).status_code == 303
    confirmation = client.get(f"/b/{token}", headers={"accept-language": "de"})
    assert html_lang(confirmation.text) == "fr"
    assert confirmation.headers["content-language"] == "fr"
    assert "jeudi 26 novembre 2026" in confirmation.text and "09:00 EST" in confirmation.text
    # A link naming a language still wins (the client switched on this page).
    assert html_lang(client.get(f"/b/{token}?lang=nl").text) == "nl"


def test_a_plural_page_renders_in_a_language_with_plural_rules(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    """English plurals never look at the number's type; other languages' rules do."""
    slot_id = world.slots["portraits"][0]
    token = token_from(client.post(f"/acme/portraits/book?slot={slot_id}&lang=it", data=CLIENT))
    clock.advance(minutes=20)
    expired = client.get(f"/b/{token}/quote")
    assert expired.status_code == 409
    assert html_lang(expired.text) == "it"


def test_the_lead_stores_the_browser_language_too(
    client: TestClient, world: World, db_url: str
) -> None:
    response = submit_details(client, world.slots["portraits"][0])
    assert response.status_code == 303
    assert [lead["language"] for lead in all_leads(db_url)] == ["en"]
    token = start(client, world.slots["portraits"][1], **{"email": "b@example.com"})
    assert token
    client.headers["accept-language"] = "es-MX"
    start(client, world.slots["portraits"][2], **{"email": "c@example.com"})
    assert sorted(lead["language"] for lead in all_leads(db_url)) == ["en", "en", "es"]


# --- the switcher ----------------------------------------------------------------------------


class SwitcherForm(HTMLParser):
    """The language switcher's form: its action, hidden fields and offered languages."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.action = ""
        self.method = ""
        self.hidden: list[tuple[str, str]] = []
        self.options: list[tuple[str, bool]] = []
        self.labelled = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form" and "language-switcher" in found.get("class", ""):
            self.inside = True
            self.action, self.method = found.get("action", ""), found.get("method", "")
        elif self.inside and tag == "input" and found.get("type") == "hidden":
            self.hidden.append((found["name"], found["value"]))
        elif self.inside and tag == "option":
            self.options.append((found["value"], "selected" in found))
        elif self.inside and tag == "label" and found.get("for") == "minis-lang":
            self.labelled = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def switcher(page: str) -> SwitcherForm:
    form = SwitcherForm()
    form.feed(page)
    return form


def test_the_switcher_offers_every_language_and_keeps_the_query(
    client: TestClient, world: World
) -> None:
    page = client.get("/acme/portraits?utm_source=mail&lang=fr")
    form = switcher(page.text)
    assert form.method == "get" and form.action == "/acme/portraits" and form.labelled
    assert [code for code, _ in form.options] == list(i18n.LANGUAGES)
    assert [code for code, chosen in form.options if chosen] == ["fr"]
    assert ("utm_source", "mail") in form.hidden and all(k != "lang" for k, _ in form.hidden)
    for name in i18n.LANGUAGES.values():
        assert name in page.text


def test_the_switcher_works_without_script(client: TestClient) -> None:
    page = client.get("/acme/portraits?utm_source=mail", headers={"accept-language": "fr"})
    form = switcher(page.text)
    # What a browser sends for the form with "Deutsch" chosen.
    query = urlencode([*form.hidden, ("lang", "de")])
    switched = client.get(f"{form.action}?{query}", headers={"accept-language": "fr"})
    assert html_lang(switched.text) == "de"
    assert dict(parse_qsl(urlsplit(f"{form.action}?{query}").query))["utm_source"] == "mail"
    assert 'value="de" lang="de" selected' in switched.text


# --- the embed -------------------------------------------------------------------------------


def test_the_embed_page_speaks_the_lang_it_was_given(client: TestClient) -> None:
    page = client.get("/embed/acme/portraits?lang=fr&theme=light")
    assert page.status_code == 200
    assert html_lang(page.text) == "fr"
    link = re.search(r'href="(/embed/acme/portraits/book\?slot=\d+[^"]*)"', page.text)
    assert link and "lang=fr" in link.group(1) and "theme=light" in link.group(1)


def test_the_dialog_script_gets_its_words_per_language(client: TestClient) -> None:
    script = client.get("/embed-dialog.js?lang=fr").text
    assert "MINIS_WORDS" not in script
    assert '"close":' in script and '"book":' in script
    hostile = client.get("/embed-dialog.js?lang=%3C/script%3E")
    assert hostile.status_code == 200 and "</script>" not in hostile.text
    assert hostile.text == client.get("/embed-dialog.js").text


# --- formatting ------------------------------------------------------------------------------

INSTANT = datetime(2026, 10, 3, 12, 0, tzinfo=UTC)


def test_english_formats_stay_as_they_were() -> None:
    with i18n.use_language("en"):
        assert formatting.day_long(date(2026, 12, 5)) == "Saturday, December 5, 2026"
        assert formatting.day_short(date(2026, 12, 5)) == "Sat, Dec 5"
        assert formatting.slot_time(INSTANT, "America/New_York") == "8:00 AM EDT"
        assert formatting.money(22500, "USD") == "$225.00"
        assert formatting.duration(90) == "90 minutes"
        assert formatting.duration(120) == "2 hours"
        assert formatting.time_left(2 * 86400 + 3 * 3600) == "2 days 3 hours"
        assert formatting.time_left(0) == "a moment"


def test_french_formats() -> None:
    with i18n.use_language("fr"):
        assert formatting.day_long(date(2026, 10, 3)) == "samedi 3 octobre 2026"
        assert formatting.clock_time(INSTANT, "Europe/Paris") == "14:00"
        summer = "heure d\u2019été d\u2019Europe centrale"
        assert formatting.zone_long(INSTANT, "Europe/Paris") == summer
        assert formatting.money(123456, "EUR") == "1\u202f234,56\xa0€"
        assert formatting.duration(60) == "1\xa0heure"
        assert formatting.duration(2880) == "2\xa0jours"


def test_german_formats() -> None:
    with i18n.use_language("de"):
        assert formatting.money(123456, "EUR") == "1.234,56\xa0€"
        assert formatting.day_short(date(2026, 10, 3)) == "Sa., 3. Okt."
        assert formatting.wall_time(datetime(2026, 1, 1, 9, 5).time()) == "09:05"
        assert formatting.duration(30) == "30 Minuten"


def test_brazilian_portuguese_formats() -> None:
    with i18n.use_language("pt_BR"):
        assert formatting.day_long(date(2026, 10, 3)) == "sábado, 3 de outubro de 2026"
        assert formatting.money(123456, "BRL") == "R$\xa01.234,56"
        assert formatting.zone_label("America/Sao_Paulo") == "Horário de Brasília — São Paulo"


# --- the languages other forms store ---------------------------------------------------------


def _column(db_url: str, table: sa.Table, column: str) -> list[str | None]:
    async def work(db: Database) -> list[str | None]:
        return [row[0] for row in await db.fetch_all(sa.select(table.c[column]))]

    return run_db(db_url, work)


def test_the_waitlist_and_the_notify_list_keep_the_language_they_were_joined_in(
    client: TestClient, db_url: str
) -> None:
    joined = client.post(
        "/acme/portraits/waitlist?lang=de",
        data={"name": "Ada Lovelace", "email": "ada@example.com", "phone": "212 555 0143"},
    )
    assert joined.status_code in (200, 303), joined.text
    asked = client.post(
        "/acme/notify", data={"email": "ann@example.com"}, headers={"accept-language": "nl"}
    )
    assert asked.status_code == 200
    # Neither link nor browser: the studio's default decides later, when it is asked.
    client.post("/acme/notify", data={"email": "bob@example.com"})
    assert _column(db_url, waitlist_entries, "language") == ["de"]
    assert sorted(_column(db_url, subscribers, "language"), key=str) == [None, "nl"]
