"""The words to translate are all marked and the catalogues are in step with the code.

- every human word of a client template is inside ``{% trans %}`` or ``_()``;
- ``messages.pot`` is what extracting the code gives today (``make i18n`` rebuilds it);
- each language's ``.po`` has exactly the template's messages, and its committed ``.mo``
  is that ``.po`` compiled;
- (once translators are done) every message of every language is translated.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

from widget_server import i18n

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "widget_server"
TEMPLATES = PACKAGE / "templates"
POT = PACKAGE / "i18n" / "messages.pot"
# The client's templates (the dashboard's and the emails' have checks of their own).
CLIENT_TEMPLATES = sorted(
    [TEMPLATES / "base.html", TEMPLATES / "error.html", TEMPLATES / "home.html"]
    + [
        p
        for folder in ("public", "partials", "embed", "payments")
        for p in (TEMPLATES / folder).glob("*.*")
    ]
)
# Text that is the same in every language: the brand, punctuation, card numbers.
NOT_WORDS = {"Minis", "Apple / Outlook (.ics)"}
# Attributes whose values people read (or hear).
READ_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")
EXPRESSION = "\x00"


# Attribute lists a template splices into a tag of its layout (``{% block body_data %}``)
# or builds up (``{% set aria %}``): markup, not text.
SPLICED = re.compile(r"{%-? (block body_data|set \w+) -?%}.*?{%-? end(block|set) -?%}", re.S)


def _lexed(source: str) -> str:
    """The template with every ``{{ }}``/``{% %}`` replaced by a marker and every
    ``{% trans %}…{% endtrans %}`` block (marked text) and comment dropped."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    out: list[str] = []
    in_trans = False
    tag_start = False
    for _, kind, value in env.lex(source):
        if kind == "whitespace":
            continue
        if tag_start and kind == "name" and value in ("trans", "endtrans"):
            in_trans = value == "trans"
        tag_start = kind == "block_begin"
        if kind == "data" and not in_trans:
            out.append(value)
        elif kind in ("variable_begin", "block_begin"):
            out.append(EXPRESSION)
    return "".join(out)


def unmarked_words(source: str) -> list[str]:
    """Human-readable text of a template outside trans blocks and ``_()``."""
    text = _lexed(SPLICED.sub(EXPRESSION, source))
    text = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", EXPRESSION, text, flags=re.S | re.I)
    found: list[str] = []
    for tag in re.findall(r"<[^>]*>", text):
        for name in READ_ATTRIBUTES:
            for value in re.findall(rf'\s{name}="([^"]*)"', tag):
                found.extend(_words(value))
    text = re.sub(r"<[^>]*>", EXPRESSION, text)
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    found.extend(_words(text))
    return found


def _words(text: str) -> list[str]:
    runs = [run.strip() for run in text.split(EXPRESSION)]
    return [run for run in runs if re.search(r"[^\W\d_]", run) and run not in NOT_WORDS]


def test_the_check_finds_unmarked_words() -> None:
    """The check itself: it sees words in text and in read attributes, not in marked ones."""
    assert unmarked_words("<p>Hello {{ name }}</p>") == ["Hello"]
    assert unmarked_words('<input placeholder="Your email">') == ["Your email"]
    assert unmarked_words('<a class="button" href="{{ url }}">{{ _("Go") }}</a>') == []
    assert unmarked_words("{% trans n=1 %}Hi {{ n }}{% endtrans %} · 42 — \u00d7") == []
    assert unmarked_words("{# a comment #}<script>var a = 'x';</script>") == []


@pytest.mark.parametrize("path", CLIENT_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_client_templates_have_no_unmarked_words(path: Path) -> None:
    assert unmarked_words(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", CLIENT_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_plurals_name_their_number(path: Path) -> None:
    """A bare ``{% pluralize %}`` counts with the block's first variable, which is often a
    text: the number must be named (``{% pluralize count %}``)."""
    assert "{% pluralize %}" not in path.read_text(encoding="utf-8")


def _key(value: Any) -> Any:
    # A plural's id and strings come as a list from .mo files, a tuple from .po files.
    return tuple(value) if isinstance(value, list | tuple) else value


def _ids(catalog: Catalog) -> set[tuple[Any, str | None]]:
    return {(_key(m.id), m.context) for m in catalog if m.id}


def _extracted() -> set[tuple[Any, str | None]]:
    """What ``make i18n`` extracts today, with Babel's API and babel.cfg's methods."""
    method_map = [
        # the dashboard has its own template (admin-babel.cfg)
        ("templates/admin/**", "ignore"),
        ("studio/**.py", "ignore"),
        ("web/admin/**.py", "ignore"),
        ("**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    options = {
        "templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
        "templates/**.txt": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
    }
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "pgettext": ((1, "c"), 2),
        "npgettext": ((1, "c"), 2, 3),
        "lazy_gettext": None,
    }
    catalog = Catalog()
    for _, lineno, message, _, context in extract_from_dir(
        str(PACKAGE), method_map, options, keywords=keywords
    ):
        catalog.add(message, None, [("", lineno)], context=context)
    return _ids(catalog)


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def test_the_template_catalogue_is_up_to_date() -> None:
    assert POT.exists()
    committed = _ids(_read_po(POT))
    extracted = _extracted()
    assert extracted - committed == set(), "new messages: run `make i18n`"
    assert committed - extracted == set(), "stale messages: run `make i18n`"


def _po_files() -> list[Path]:
    return [
        i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
        for code in i18n.LANGUAGES
        if code != "en"
    ]


@pytest.mark.parametrize("po", _po_files(), ids=lambda p: p.parts[-3])
def test_every_language_has_exactly_the_templates_messages(po: Path) -> None:
    assert po.exists(), f"{po}: run `make i18n`"
    assert _ids(_read_po(po)) == _ids(_read_po(POT))


@pytest.mark.parametrize("po", _po_files(), ids=lambda p: p.parts[-3])
def test_every_compiled_catalogue_matches_its_source(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo}: run `make i18n`"
    fresh = BytesIO()
    write_mo(fresh, _read_po(po))  # what `pybabel compile` writes for it
    assert mo.read_bytes() == fresh.getvalue(), f"{mo} is stale: run `make i18n`"


def test_every_language_is_complete() -> None:
    missing: dict[str, int] = {}
    for po in _po_files():
        catalog = _read_po(po)
        gaps = [
            m.id
            for m in catalog
            if m.id
            and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
        ]
        if gaps:
            missing[po.parts[-3]] = len(gaps)
    assert missing == {}
