"""What a page says, as text: what a person sees or a screen reader says
(``visible_text``), or simply every text between its tags (``page_text``)."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

SHOWN_ATTRIBUTES = {"placeholder", "aria-label", "title", "alt"}
BUTTON_INPUTS = {"submit", "button", "reset"}
HIDDEN_ELEMENTS = {"script", "style", "template"}


class VisibleText(HTMLParser):
    """The words a person sees or a screen reader says: text outside script, style and
    template, plus the attributes that are read out."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_ELEMENTS:
            self._hidden += 1
        values = dict(attrs)
        for name in SHOWN_ATTRIBUTES & values.keys():
            self.parts.append(values[name] or "")
        if tag == "input" and (values.get("type") or "") in BUTTON_INPUTS:
            self.parts.append(values.get("value") or "")
        if tag == "meta" and values.get("name") == "description":
            self.parts.append(values.get("content") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_ELEMENTS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """The page's visible and read-out words, runs of whitespace made single spaces."""
    parser = VisibleText()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def page_text(html: str) -> str:
    """Every text between the tags (scripts' too, no attributes), entities decoded, runs of
    whitespace made single spaces: for finding a sentence that markup splits."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
