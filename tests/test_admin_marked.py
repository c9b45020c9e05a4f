"""Every human-readable word of the dashboard's templates is marked for translation: text
between tags (Jinja's lexer: data outside ``{% trans %}`` blocks) with letters in it fails,
as do the attributes people read (alt, title, aria-label, placeholder)."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment

from widget_server.i18n import install_in

TEMPLATES = Path(__file__).resolve().parent.parent / "widget_server" / "templates" / "admin"
TAG = re.compile(r"<[^>]*>")
READ_ATTRIBUTE = re.compile(r'\b(?:alt|title|aria-label|placeholder)="([^"{]*[A-Za-z][^"{]*)"')
# Text that is not a word to translate: entities, separators, symbols, the brand.
ALLOWED = re.compile(r"^(?:&[a-z]+;|[\s·•|/×:,.()–—…%#+-]|Minis)*$")
# Templates whose strings are not marked yet (issue 17): each one marked leaves this list.
NOT_YET_MARKED = {
    "_charts.html", "_day_fields.html", "_error_summary.html",
    "_fields.html", "addons.html",
    "base.html", "booking.html", "bookings.html", "coupon.html", "day_affected.html",
    "day_delete.html", "day_edit.html", "day_sheet.html", "drop.html", "email.html",
    "emails.html", "feed.html", "integrations.html", "location.html",
    "locations.html", "login.html", "mini.html", "mini_form.html", "minis.html", "move.html",
    "notify.html", "overview.html", "pricing.html", "settings.html", "share.html",
    "tax_rate.html", "waitlist.html", "webhook.html",
}  # fmt: skip


def unmarked(source: str) -> list[str]:
    """The human-readable pieces of a template that no gettext call or trans block covers."""
    env = Environment()
    install_in(env)
    # The page's markup with each Jinja expression, block and trans block as one stand-in
    # character, so tags cut by an expression still read as tags.
    parts: list[str] = []
    depth = 0
    tokens = list(env.lex(source))
    for index, (_line, kind, value) in enumerate(tokens):
        if kind == "name" and value in ("trans", "endtrans"):
            previous = [t for t in tokens[max(0, index - 2) : index] if t[1] != "whitespace"]
            if previous and previous[-1][1] == "block_begin":
                depth += 1 if value == "trans" else -1
        if kind == "data" and not depth:
            parts.append(value)
        elif kind in ("variable_begin", "block_begin"):
            parts.append("\x01")
    markup = "".join(parts)
    found = READ_ATTRIBUTE.findall(markup)
    for text in TAG.split(markup):
        words = " ".join(text.replace("\x01", " ").split())
        if re.search(r"[A-Za-z]", words) and not ALLOWED.match(words):
            found.append(words)
    return found


def test_the_checker_finds_unmarked_words() -> None:
    assert unmarked("<p>Saved.</p>") == ["Saved."]
    assert unmarked('<img alt="Your logo" src="{{ x }}">') == ["Your logo"]
    assert unmarked("<p>{% trans %}Saved.{% endtrans %}</p>") == []
    assert unmarked('<p>{{ _("Saved.") }} · <a href="/x" class="link">{{ n }}</a></p>') == []
    assert unmarked("{% trans n=2 %}One{% pluralize %}{{ n }} more{% endtrans %} Left") == ["Left"]


def test_every_admin_template_is_marked() -> None:
    names = {path.name for path in TEMPLATES.glob("*.html")}
    assert NOT_YET_MARKED <= names, "a template on the list is gone: take it off the list"
    problems = {
        name: found
        for name in sorted(names - NOT_YET_MARKED)
        if (found := unmarked((TEMPLATES / name).read_text()))
    }
    assert not problems, problems
    # A template on the list that is marked already leaves it, so the list only shrinks.
    done = [name for name in NOT_YET_MARKED if not unmarked((TEMPLATES / name).read_text())]
    assert not done, f"marked now: take {done} off NOT_YET_MARKED"
