"""Every word of every email template is marked for translation: text outside
``{% trans %}`` blocks and prose string literals outside ``_()`` fail this test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import Environment

from widget_server.mail.render import TEMPLATES

GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
# Names that read the same in every language, and a pricing label's suffix the quote adds.
ALLOWED = {"Minis", " (included)"}
LETTER = re.compile(r"[^\W\d_]")
# A tag, across the template expressions inside it (``<a href="{{ url }}">``).
TAG = re.compile(r"<[^>]*>")
EXPRESSION = "\x00"  # stands for a {{ }} or {% %} while tags are stripped


def unmarked(source: str) -> list[str]:
    """The human-readable text of a template that is not marked for translation."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    outside: list[str] = []  # the template with trans blocks and expressions blanked
    literals: list[str] = []
    in_trans = False
    in_tag = False
    tag_words: list[str] = []
    calls: list[str | None] = []
    previous: str | None = None
    for _, kind, value in env.lex(source):
        if kind == "whitespace":
            continue
        if kind in ("block_begin", "variable_begin"):
            in_tag, tag_words = True, []
            outside.append(EXPRESSION)
            continue
        if kind in ("block_end", "variable_end"):
            in_tag = False
            continue
        if in_tag and kind == "name" and not tag_words:
            in_trans = value == "trans" or (in_trans and value != "endtrans")
        if in_tag:
            tag_words.append(value)
        if kind == "data":
            outside.append(EXPRESSION if in_trans else value)
        elif kind == "operator" and value == "(":
            calls.append(previous)
        elif kind == "operator" and value == ")" and calls:
            calls.pop()
        elif kind == "string" and not in_trans and not GETTEXT_CALLS.intersection(calls):
            text = value[1:-1]
            if LETTER.search(text) and (" " in text or text[:1].isupper()):
                literals.append(text)
        previous = value
    text = TAG.sub(EXPRESSION, "".join(outside))
    pieces = [" ".join(p.split()) for p in text.split(EXPRESSION)]
    found = [p for p in pieces if LETTER.search(p)] + literals
    return [p for p in found if p not in ALLOWED]


@pytest.mark.parametrize("path", sorted(TEMPLATES.iterdir()), ids=lambda p: p.name)
def test_every_word_of_a_mail_template_is_marked(path: Path) -> None:
    assert unmarked(path.read_text()) == []


def test_the_check_finds_unmarked_words() -> None:
    assert unmarked('<p style="x">Hello {{ name }}, welcome</p>') == ["Hello", ", welcome"]
    assert unmarked('{% with label = "View your booking" %}{% endwith %}') == ["View your booking"]
    assert unmarked("<p>{% trans n=name %}Hi {{ n }}{% endtrans %}</p>") == []
    assert unmarked('<a href="{{ u }}">{{ _("Open the map") }}</a> · ') == []
    assert unmarked('{% if by == "studio" %}{{ x }}{% endif %}') == []
