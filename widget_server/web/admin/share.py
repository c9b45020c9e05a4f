"""``/admin/share``: the studio's links and an embed-code generator with a live preview.

The generator is a plain GET form, so it works without JavaScript; every option is
validated the way the embed itself validates it (web/embed.py), and a bad value is
dropped with a message rather than copied into the photographer's website. The
snippets use exactly the attributes and API that snippets/ documents and
embed/embed.js reads, with ``settings.base_url`` as the widget's origin.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from html import escape
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...booking.catalog import MiniSession, Studio
from ...formatting import HEX_COLOR
from ...i18n import gettext as _
from ...i18n import lazy_gettext
from ...studio.dashboard import shareable_mini_sessions
from ..embed import THEMES, allowed_origins, normalize_origin, page_origin
from .auth import Admin, admin_context, admin_page
from .pages import admin_render

# The snippets' button label, in the dashboard's language (the photographer edits it freely).
BUTTON_TEXT = lazy_gettext("Book a mini session")
IFRAME_HEIGHT = "900px"  # a plain iframe cannot grow with its content (snippets/iframe.md)


@dataclass(frozen=True)
class EmbedOptions:
    """What the embed should show and how, every field already valid."""

    studio_slug: str
    mini_slug: str  # "" = every public mini session of the studio
    theme: str  # light, dark or auto
    color: str  # "" = the widget's default (the studio's brand colour)
    new_tab: bool

    @property
    def link(self) -> str:
        return f"{self.studio_slug}/{self.mini_slug}" if self.mini_slug else self.studio_slug

    def embed_query(self) -> dict[str, str]:
        """The parameters web/embed.py reads (no ``parent``: a plain iframe posts nothing)."""
        query: dict[str, str] = {}
        if self.theme != "auto":
            query["theme"] = self.theme
        if self.color:
            query["color"] = self.color
        if self.new_tab:
            query["tab"] = "new"
        return query

    def embed_path(self) -> str:
        path = "/embed/" + "/".join(quote(part, safe="") for part in self.link.split("/"))
        query = urlencode(self.embed_query())
        return f"{path}?{query}" if query else path


def parse_options(
    studio: Studio, minis: list[MiniSession], params: dict[str, str]
) -> tuple[EmbedOptions, list[str]]:
    """The form's options, and a friendly message for each value that had to be dropped."""
    problems: list[str] = []
    mini = params.get("mini", "")
    if mini and mini not in {m.slug for m in minis}:
        problems.append(_("That mini session isn't bookable any more: showing the whole studio."))
        mini = ""
    theme = params.get("theme", "auto")
    if theme not in THEMES:
        problems.append(_("The theme can be light, dark or auto: using auto."))
        theme = "auto"
    color = params.get("color", "").strip()
    if color and not HEX_COLOR.match(color):
        problems.append(
            _("“%(value)s” isn't a colour like #3b5bdb: using your brand colour instead.")
            % {"value": color[:20]}
        )
        color = ""
    options = EmbedOptions(
        studio_slug=studio.slug,
        mini_slug=mini,
        theme=theme,
        color=color.lower(),
        new_tab=params.get("new_tab") == "1",
    )
    return options, problems


def _data_attributes(options: EmbedOptions) -> str:
    attrs = ""
    if options.theme != "auto":
        attrs += f' data-minis-theme="{options.theme}"'
    if options.color:
        attrs += f' data-minis-color="{options.color}"'
    if options.new_tab:
        attrs += " data-minis-new-tab"
    return attrs


def snippets(base_url: str, options: EmbedOptions) -> dict[str, str]:
    """The four embed codes, as text to paste (the template escapes them for display)."""
    base = base_url.rstrip("/")
    loader = f'<script async src="{escape(base)}/embed.js"></script>'
    link = escape(options.link)
    attrs = _data_attributes(options)
    floating: dict[str, object] = {"link": options.link, "text": str(BUTTON_TEXT)}
    if options.color:
        floating["color"] = options.color
    if options.theme != "auto":
        floating["theme"] = options.theme
    if options.new_tab:
        floating["newTab"] = True
    # json.dumps of validated slugs and colours; "<" escaped anyway so </script> can't appear.
    call = json.dumps(floating).replace("<", "\\u003c")
    iframe_src = escape(base + options.embed_path())
    return {
        "inline": f'<div data-minis="{link}"{attrs}></div>\n{loader}',
        "popup": (
            f'<button type="button" data-minis-popup="{link}"{attrs}>{BUTTON_TEXT}</button>\n'
            f"{loader}"
        ),
        "floating": (
            "<script>\n"
            "  window.Minis = window.Minis || function () "
            "{ (Minis.q = Minis.q || []).push(arguments); };\n"
            f'  Minis("floating", {call});\n'
            "</script>\n"
            f"{loader}"
        ),
        "iframe": (
            f'<iframe src="{iframe_src}" title="{BUTTON_TEXT}" '
            f'style="width:100%;height:{IFRAME_HEIGHT};border:0"></iframe>'
        ),
    }


def preview_blocked(request: Request, studio: Studio) -> str | None:
    """The origin to add when the studio's allowed origins would refuse the preview.

    The browser checks the dashboard page's own origin; behind a proxy that is the
    public ``base_url`` rather than what the app sees, so either one being allowed will do.
    """
    allowed = allowed_origins(studio)
    public = page_origin(request.app.state.settings.base_url)
    here = normalize_origin(f"{request.url.scheme}://{request.url.netloc}")
    if not allowed or public in allowed or here in allowed:
        return None
    return public or here or request.url.netloc


@admin_page
async def share_page(request: Request, admin: Admin) -> Response:
    """Links to the booking site and each mini session, and the embed-code generator."""
    minis = await shareable_mini_sessions(request.app.state.db, admin.studio.id)
    options, problems = parse_options(admin.studio, minis, dict(request.query_params))
    base = request.app.state.settings.base_url.rstrip("/")
    return admin_render(
        request,
        "admin/share.html",
        {
            **admin_context(admin),
            "title": _("Share & embed"),
            "site_url": f"{base}/{quote(admin.studio.slug)}",
            "minis": [(m, f"{base}/{quote(admin.studio.slug)}/{quote(m.slug)}") for m in minis],
            "options": options,
            "themes": THEMES,
            "problems": problems,
            "snippets": snippets(base, options),
            # The loader turns "auto" into the host page's scheme; this page is light, so
            # the preview shows what the widget shows on a light site.
            "preview_src": replace(
                options, theme="light" if options.theme == "auto" else options.theme
            ).embed_path(),
            "preview_blocked": preview_blocked(request, admin.studio),
        },
        session=admin.session,
    )


routes: list[BaseRoute] = [
    Route("/admin/share", share_page),
]
