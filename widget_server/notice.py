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
