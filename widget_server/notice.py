"""The photographer's confirmation notice: Markdown, rendered safely.

markdown-it-py with raw HTML disabled (the "js-default" preset: CommonMark
without HTML, links checked against ``javascript:`` and friends), so a notice
can format text and link to a page but never inject markup or script into a
page or an email.
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})


def notice_html(text: str) -> Markup:
    """The notice as HTML, safe to put into a page or an email as is."""
    if not text.strip():
        return Markup("")
    return Markup(_parser().render(text))


def notice_text(text: str) -> str:
    """The notice as plain text people read (an email's text part): the words without the
    Markdown marks (no ``**``), links as ``text (address)``, list items as ``- item`` or
    ``1. item``, blocks a blank line apart."""
    blocks: list[tuple[str, int]] = []  # (text, the list it is in, 0 for none)
    numbers: list[int] = []  # the next number of each open list (0: a bullet list)
    lists = 0  # outermost lists so far: items of one list stay on consecutive lines
    prefix = ""
    for token in _parser().parse(text):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists += not numbers
            numbers.append(int(str(token.attrGet("start") or 1)) if "ordered" in token.type else 0)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
        elif token.type == "list_item_open":
            indent = "  " * (len(numbers) - 1)
            prefix = f"{indent}{numbers[-1]}. " if numbers[-1] else f"{indent}- "
            if numbers[-1]:
                numbers[-1] += 1
        elif token.type == "inline":
            words = _inline_text(token.children or [])
            blocks.append((prefix + words, lists if numbers else 0))
            prefix = ""
        elif token.type in ("fence", "code_block"):
            blocks.append((token.content.rstrip("\n"), 0))
        elif token.type == "hr":
            blocks.append(("---", 0))
    out = ""
    previous = 0
    for words, in_list in blocks:
        if out:
            out += "\n" if in_list and in_list == previous else "\n\n"
        out += words
        previous = in_list
    return out


def _inline_text(children: list[Token]) -> str:
    """One paragraph's words: marks dropped, line breaks kept, links followed by their
    address when it isn't the text itself."""
    words: list[str] = []
    href = ""
    link_start = 0
    for child in children:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append("\n")
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            link_start = len(words)
        elif child.type == "link_close":
            label = "".join(words[link_start:])
            if href and href not in (label, f"mailto:{label}"):
                words.append(f" ({href})")
            href = ""
        elif child.type == "image":
            words.append(child.content)
    return "".join(words)
