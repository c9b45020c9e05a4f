"""The photographer's own texts in the client's language (read side; studio/texts.py
writes them).

A mini session's and a question's texts are written in the studio's default language in
their own columns; ``text_translations`` holds the same fields in other languages. The
loaders that hand mini sessions and questions to the client's pages and emails pass them
through here, so templates read ``mini.title`` and get the language in force
(``i18n.current_language()``), or the default language's text where none was written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import NamedTuple, TypeVar

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared
from ..db.rows import fetch_all_as
from ..db.tables import text_translations
from ..i18n import current_language

# Each owner's fields that can be written per language.
MINI_FIELDS = ("title", "description", "confirmation_notice", "terms", "contract")
QUESTION_FIELDS = ("label", "help", "choices")
FIELDS = {"mini_session": MINI_FIELDS, "question": QUESTION_FIELDS}

# (owner id, field, language) -> the text written for it.
Texts = Mapping[tuple[int, str, str], str]


class TextRow(NamedTuple):
    owner_id: int
    field: str
    language: str
    text: str


def localized(
    texts: Texts, owner_id: int, field: str, default: str, language: str | None = None
) -> str:
    """The owner's ``field`` in ``language`` (the language in force when None), or
    ``default`` (the studio's default language's text) when none was written."""
    text = texts.get((owner_id, field, language or current_language()), "")
    return text if text.strip() else default


def _texts_query(*, of_languages: bool) -> Prepared:
    query = sa.select(
        text_translations.c.owner_id,
        text_translations.c.field,
        text_translations.c.language,
        text_translations.c.text,
    ).where(
        text_translations.c.owner_kind == sa.bindparam("kind"),
        text_translations.c.owner_id.in_(sa.bindparam("ids", expanding=True)),
    )
    if of_languages:
        query = query.where(
            text_translations.c.language.in_(sa.bindparam("languages", expanding=True))
        )
    return Prepared(query)


# Built once (db/compiled.py): every client page in a language other than the studio's
# default reads its texts here, and building the statement per request cost more than
# running it.
TEXTS = _texts_query(of_languages=False)
TEXTS_IN = _texts_query(of_languages=True)


async def texts_of(
    db: Database, owner_kind: str, owner_ids: Iterable[int], languages: Iterable[str] | None = None
) -> dict[tuple[int, str, str], str]:
    """The written translations of these owners, in ``languages`` (all when None)."""
    ids = list(set(owner_ids))
    if not ids:
        return {}
    if languages is None:
        query = TEXTS.bind(kind=owner_kind, ids=ids)
    else:
        query = TEXTS_IN.bind(kind=owner_kind, ids=ids, languages=list(languages))
    rows = await fetch_all_as(db, query, TextRow)
    return {(r.owner_id, r.field, r.language): r.text for r in rows}


Owner = TypeVar("Owner")


def _apply(owner: Owner, kind: str, texts: Texts, language: str) -> Owner:
    """A copy of ``owner`` (a frozen dataclass) with its fields in ``language``."""
    owner_id: int = owner.id  # type: ignore[attr-defined]
    changes: dict[str, object] = {}
    for field in FIELDS[kind]:
        current = getattr(owner, field)
        if field == "choices":
            # Choices are one per line; a translation must offer as many, in the same
            # order, or the default ones are shown (answers are checked against these).
            text = localized(texts, owner_id, field, "", language)
            lines = tuple(line.strip() for line in text.splitlines() if line.strip())
            if lines and len(lines) == len(current):
                changes[field] = lines
        else:
            changes[field] = localized(texts, owner_id, field, current, language)
    return dataclasses.replace(owner, **changes)  # type: ignore[type-var]


async def in_language(
    db: Database,
    owner_kind: str,
    owners: list[Owner],
    *,
    default_language: str | None = None,
) -> list[Owner]:
    """``owners`` (mini sessions or questions) with their texts in the language in force.

    No query when the language in force is the studio's default (``default_language``,
    when the caller knows it): the owners' own columns are that language already.
    """
    language = current_language()
    if not owners or language == default_language:
        return owners
    texts = await texts_of(db, owner_kind, [o.id for o in owners], [language])  # type: ignore[attr-defined]
    if not texts:
        return owners
    return [_apply(o, owner_kind, texts, language) for o in owners]
