"""Writing the photographer's own texts in other languages: the mini session form's
"Translations" part (booking/texts.py shows them to clients).

The form names each field ``tr-<lang>-<field>`` for the mini session and
``tr-<lang>-q<id>-<field>`` for one of its questions. An empty field means "show the
default language's text" and stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from databases import Database

from ..booking.contracts import contract_problem
from ..booking.questions import Question
from ..booking.texts import MINI_FIELDS, QUESTION_FIELDS, texts_of
from ..db.tables import questions, text_translations
from ..i18n import LANGUAGES
from ..i18n import gettext as _
from .form_values import unstorable_fields
from .mini_settings import MAX_TEXT, MAX_TITLE
from .questions import MAX_CHOICE, MAX_CHOICES, MAX_HELP, MAX_LABEL

LIMITS = {
    "title": MAX_TITLE,
    "description": MAX_TEXT,
    "confirmation_notice": MAX_TEXT,
    "terms": MAX_TEXT,
    "contract": MAX_TEXT,
    "label": MAX_LABEL,
    "help": MAX_HELP,
    "choices": MAX_CHOICES * (MAX_CHOICE + 1),
}


@dataclass(frozen=True)
class Translation:
    owner_kind: str  # mini_session, question
    owner_id: int
    field: str
    language: str
    text: str


def other_languages(default_language: str) -> list[str]:
    """The languages the photographer may translate into: every shipped one but the default."""
    return [code for code in LANGUAGES if code != default_language]


def field_name(language: str, field: str, question_id: int | None = None) -> str:
    return f"tr-{language}-q{question_id}-{field}" if question_id else f"tr-{language}-{field}"


def read_translations(
    fields: Mapping[str, str],
    *,
    mini_id: int,
    asked: Sequence[Question],
    default_language: str,
) -> tuple[list[Translation], dict[str, str]]:
    """The form's translations (non-empty ones) and a message per field that can't be kept."""
    errors: dict[str, str] = {}
    found: list[Translation] = []

    def read(kind: str, owner_id: int, field: str, language: str, name: str) -> None:
        text = fields.get(name, "").strip().replace("\r\n", "\n")
        if not text:
            return
        limit = LIMITS[field]
        if len(text) > limit:
            errors[name] = _("Keep this under %(limit)s characters.") % {"limit": f"{limit:,}"}
            return
        if field == "contract" and (problem := contract_problem(text)):
            errors[name] = problem
            return
        found.append(Translation(kind, owner_id, field, language, text))

    for language in other_languages(default_language):
        for field in MINI_FIELDS:
            read("mini_session", mini_id, field, language, field_name(language, field))
        for question in asked:
            for field in QUESTION_FIELDS:
                if field == "choices" and not question.choices:
                    continue
                name = field_name(language, field, question.id)
                read("question", question.id, field, language, name)
                if field == "choices" and name not in errors and fields.get(name, "").strip():
                    given = [line for line in fields[name].splitlines() if line.strip()]
                    if len(given) != len(question.choices):
                        errors[name] = _(
                            "Give the same %(count)s choices, one per line, in the same order."
                        ) % {"count": len(question.choices)}
    tr_fields = {k: v for k, v in fields.items() if k.startswith("tr-")}
    errors |= unstorable_fields(tr_fields)
    return found, errors


def form_values(texts: Mapping[tuple[int, str, str], str], mini_id: int) -> dict[str, str]:
    """The stored translations as the form's field values."""
    values: dict[str, str] = {}
    for (owner_id, field, language), text in texts.items():
        if owner_id == mini_id and field in MINI_FIELDS:
            values[field_name(language, field)] = text
    return values


def question_values(
    texts: Mapping[tuple[int, str, str], str], asked: Sequence[Question]
) -> dict[str, str]:
    ids = {q.id for q in asked}
    return {
        field_name(language, field, owner_id): text
        for (owner_id, field, language), text in texts.items()
        if owner_id in ids and field in QUESTION_FIELDS
    }


async def stored_translations(
    db: Database, mini_id: int, asked: Sequence[Question]
) -> dict[str, str]:
    """The form's values for what is stored for the mini session and its questions."""
    values = form_values(await texts_of(db, "mini_session", [mini_id]), mini_id)
    values |= question_values(await texts_of(db, "question", [q.id for q in asked]), asked)
    return values


async def _question_ids(db: Database, mini_id: int) -> set[int]:
    rows = await db.fetch_all(
        sa.select(questions.c.id).where(questions.c.mini_session_id == mini_id)
    )
    return {int(r[0]) for r in rows}


async def save_translations(
    db: Database, studio_id: int, mini_id: int, written: Iterable[Translation]
) -> None:
    """Replace the mini session's and its questions' translations with ``written`` (inside
    the mini session's save transaction). A question id that isn't this mini session's is
    ignored, so a form can't write another studio's texts."""
    own = await _question_ids(db, mini_id)
    owners = [("mini_session", [mini_id]), ("question", sorted(own))]
    for kind, ids in owners:
        if ids:
            await db.execute(
                text_translations.delete().where(
                    text_translations.c.studio_id == studio_id,
                    text_translations.c.owner_kind == kind,
                    text_translations.c.owner_id.in_(ids),
                )
            )
    for t in written:
        mine = t.owner_id == mini_id if t.owner_kind == "mini_session" else t.owner_id in own
        if mine:
            await db.execute(
                text_translations.insert().values(
                    studio_id=studio_id,
                    owner_kind=t.owner_kind,
                    owner_id=t.owner_id,
                    field=t.field,
                    language=t.language,
                    text=t.text,
                )
            )


async def copy_translations(
    db: Database, studio_id: int, from_mini: int, to_mini: int, question_ids: Mapping[int, int]
) -> None:
    """A duplicated mini session's translations: its own, and its questions' under their
    new ids (``question_ids``: original id -> copy's id)."""
    owned = [("mini_session", {from_mini: to_mini}), ("question", dict(question_ids))]
    for kind, ids in owned:
        texts = await texts_of(db, kind, ids)
        for (owner_id, field, language), text in texts.items():
            await db.execute(
                text_translations.insert().values(
                    studio_id=studio_id,
                    owner_kind=kind,
                    owner_id=ids[owner_id],
                    field=field,
                    language=language,
                    text=text,
                )
            )
