"""The photographer's confirmation notice: Markdown, rendered safely.

markdown-it-py with raw HTML disabled (the "js-default" preset: CommonMark
without HTML, links checked against ``javascript:`` and friends), so a notice
can format text and link to a page but never inject markup or script into a
page or an email.
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markupsafe import Markup


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})


def notice_html(text: str) -> Markup:
    """The notice as HTML, safe to put into a page or an email as is."""
    if not text.strip():
        return Markup("")
    return Markup(_parser().render(text))


def contract_html(text: str, top_level: int = 3) -> Markup:
    """A contract as HTML inside a page: like ``notice_html``, with its headings moved
    down to start at ``<h{top_level}>``, so the page keeps one ``<h1>`` and its outline."""
    if not text.strip():
        return Markup("")
    parser = _parser()
    tokens = parser.parse(text)
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            level = min(int(token.tag[1]) + top_level - 1, 6)
            token.tag = f"h{level}"
    return Markup(parser.renderer.render(tokens, parser.options, {}))
