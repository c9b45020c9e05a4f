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
# Text that is not a word to translate: entities, symbols, the brand.
ALLOWED = re.compile(r"^(?:&[a-z]+;|[^A-Za-z]|Minis)*$")


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
    markup = re.sub(r"<(script|style)\b.*?</\1>", "", "".join(parts), flags=re.S)
    found = READ_ATTRIBUTE.findall(markup)
    for text in TAG.split(markup):
        words = " ".join(text.replace("\x01", " ").split())
        # A macro's attribute fragment (aria-invalid="true") is markup, not words.
        if re.search(r"[A-Za-z]", words) and not ALLOWED.match(words) and '="' not in words:
            found.append(words)
    return found


def test_the_checker_finds_unmarked_words() -> None:
    assert unmarked("<p>Saved.</p>") == ["Saved."]
    assert unmarked('<img alt="Your logo" src="{{ x }}">') == ["Your logo"]
    assert unmarked("<p>{% trans %}Saved.{% endtrans %}</p>") == []
    assert unmarked('<p>{{ _("Saved.") }} · <a href="/x" class="link">{{ n }}</a></p>') == []
    assert unmarked("{% trans n=2 %}One{% pluralize %}{{ n }} more{% endtrans %} Left") == ["Left"]


def test_every_admin_template_is_marked() -> None:
    problems = {
        path.name: found
        for path in sorted(TEMPLATES.glob("*.html"))
        if (found := unmarked(path.read_text()))
    }
    assert not problems, problems
