"""Which language a client page speaks, chosen per request without a cookie.

In order: a ``lang`` query parameter (links, the switcher, the embed's ``data-minis-lang``),
the language the client booked in (``leads.language``, on pages reached by a booking
token), the browser's ``Accept-Language``, the studio's default language, English.
``ClientLanguage`` applies the first and third for every public request (so even a 404
speaks the visitor's language); ``for_studio``/``for_booking`` refine the choice once the
handler knows whose page it is. ``render`` names the result in ``Content-Language``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from markupsafe import Markup
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import i18n
from ..booking.catalog import Studio

PARAM = "lang"
# The dashboard, the API and machines' endpoints keep English (the dashboard will follow
# its own setting); everything else a person opens is a client page.
NOT_CLIENT_PAGES = ("/admin", "/api/", "/static/", "/webhooks/", "/embed.js", "/embed-dialog.js")
# Enough for any real browser's list; a longer header is cut, not parsed whole.
MAX_HEADER = 512

Source = Literal["param", "lead", "browser", "studio", "default"]


@dataclass(frozen=True)
class Choice:
    language: str
    source: Source

    @property
    def explicit(self) -> bool:
        """Chosen by the link itself: the flow's links carry it on (no cookie to keep it)."""
        return self.source == "param"


def asked(connection: HTTPConnection) -> str | None:
    """The shipped language the ``lang`` parameter names; anything else is ignored."""
    return i18n.known_language(connection.query_params.get(PARAM, "")[:40])


def accepted(header: str) -> str | None:
    """The first shipped language of an ``Accept-Language`` header, by its q-values:
    ``"de-CH, fr;q=0.8"`` → ``de``; ``"pt-PT"`` → ``pt_BR``; ``"*"`` or junk → None."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:MAX_HEADER].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if tag and tag != "*" and 0 < quality <= 1:
            ranked.append((-quality, index, tag))
    for _, _, tag in sorted(ranked):
        found = i18n.known_language(tag)
        if found:
            return found
    return None


def choose(
    connection: HTTPConnection,
    *,
    lead_language: str | None = None,
    studio_language: str | None = None,
) -> Choice:
    found = asked(connection)
    if found:
        return Choice(found, "param")
    found = i18n.known_language(lead_language)
    if found:
        return Choice(found, "lead")
    found = accepted(connection.headers.get("accept-language", ""))
    if found:
        return Choice(found, "browser")
    found = i18n.known_language(studio_language)
    if found:
        return Choice(found, "studio")
    return Choice(i18n.DEFAULT_LANGUAGE, "default")


def speak(
    connection: HTTPConnection,
    *,
    lead_language: str | None = None,
    studio_language: str | None = None,
) -> Choice:
    """Choose, and speak the choice for the rest of the request."""
    choice = choose(connection, lead_language=lead_language, studio_language=studio_language)
    i18n.set_language(choice.language)
    connection.state.language = choice
    return choice


def for_studio(request: Request, studio: Studio) -> Choice:
    """A studio's page: its default language, when neither link nor browser names one."""
    found = getattr(request.state, "language", None)
    current = found if isinstance(found, Choice) else None
    if current is None:
        return speak(request, studio_language=studio.default_language)
    if current.source in ("param", "lead", "browser"):
        return current
    # Already chosen for this request, and neither link, booking nor browser named a
    # language: only the studio's default is left to decide (a page asks two or three
    # times; parsing the query and the header again was most of it).
    language = i18n.known_language(studio.default_language)
    choice = Choice(language, "studio") if language else Choice(i18n.DEFAULT_LANGUAGE, "default")
    i18n.set_language(choice.language)
    request.state.language = choice
    return choice


def for_booking(request: Request, lead_language: str | None, studio: Studio) -> Choice:
    """A page reached by a booking token: the language the client booked in comes before
    the browser's (a link opened later on another device still reads the same)."""
    return speak(request, lead_language=lead_language, studio_language=studio.default_language)


def current_choice(request: Request) -> Choice:
    found = getattr(request.state, "language", None)
    return found if isinstance(found, Choice) else Choice(i18n.current_language(), "default")


def chosen_by_client(request: Request) -> str | None:
    """The language the client's link, booking or browser named; None when it fell to the
    studio's default or English (the domain then follows the studio's current default)."""
    choice = current_choice(request)
    return choice.language if choice.source in ("param", "lead", "browser") else None


def carried(request: Request) -> dict[str, str]:
    """``{"lang": …}`` when the link chose the language, for the flow's next links and forms."""
    choice = current_choice(request)
    return {PARAM: choice.language} if choice.explicit else {}


def name_language(request: Request, headers: MutableHeaders) -> None:
    """``Content-Language`` always; ``Vary: Accept-Language`` unless the URL alone decided
    (a shared cache must not serve one visitor's language to another)."""
    choice = current_choice(request)
    headers["Content-Language"] = i18n.html_lang(choice.language)
    if choice.source != "param":
        headers.add_vary_header("Accept-Language")


@dataclass(frozen=True)
class Switch:
    """The switcher's form: this path, its other query parameters, the languages."""

    action: str
    keep: list[tuple[str, str]]
    languages: list[tuple[str, str]]

    @property
    def options(self) -> Markup:
        """The ``<option>`` of every language, the one in force selected."""
        return _options(tuple(self.languages), i18n.current_language())


@lru_cache(maxsize=64)
def _options(languages: tuple[tuple[str, str], ...], current: str) -> Markup:
    # The same for every page in one language: made once, not 7 options' worth of template
    # calls per page.
    return Markup("").join(
        Markup('<option value="{}" lang="{}"{}>{}</option>').format(
            code, i18n.html_lang(code), Markup(" selected") if code == current else "", name
        )
        for code, name in languages
    )


def switch(request: Request) -> Switch:
    keep = [(k, v) for k, v in request.query_params.multi_items() if k != PARAM]
    return Switch(request.url.path, keep, list(i18n.LANGUAGES.items()))


class ClientLanguage:
    """ASGI middleware: speak the link's or the browser's language on every client page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            connection = HTTPConnection(scope)
            if scope["path"].startswith(NOT_CLIENT_PAGES):
                i18n.set_language(i18n.DEFAULT_LANGUAGE)
            else:
                speak(connection)
        await self.app(scope, receive, send)
