"""A mini session's questions, as the client is asked them (read-only; studio/questions.py
edits them)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared
from ..db.rows import fetch_all_as
from ..db.tables import questions
from .texts import in_language

# kind -> what the dashboard calls it. "single" is radio buttons, "select" a drop-down:
# both take one of the choices.
KINDS = {
    "short": "Short text",
    "long": "Long text",
    "single": "One choice (buttons)",
    "select": "One choice (drop-down)",
    "several": "Several choices (tick boxes)",
    "number": "Number",
    "date": "Date",
    "yesno": "Yes or no",
}
CHOICE_KINDS = {"single", "select", "several"}


@dataclass(frozen=True)
class Question:
    id: int
    mini_session_id: int
    kind: str
    label: str
    help: str
    required: bool
    position: int
    choices: tuple[str, ...]

    @property
    def field(self) -> str:
        """The form field's name (and the id the error summary links to)."""
        return f"q{self.id}"

    @property
    def grouped(self) -> bool:
        """Asked with several inputs (a fieldset with a legend) rather than one."""
        return self.kind in {"single", "several", "yesno"}


class _QuestionRow(NamedTuple):
    id: int
    mini_session_id: int
    kind: str
    label: str
    help: str
    required: bool
    position: int
    choices: str  # JSON list


# Built once (db/compiled.py): the details form and every hold read them.
QUESTIONS = Prepared(
    questions.select()
    .where(questions.c.mini_session_id == sa.bindparam("mini"), questions.c.removed.is_(False))
    .order_by(questions.c.position, questions.c.id)
)


def asks_questions(mini_session_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """Whether the mini session asks any question now (slot_form's ``asks``)."""
    return (
        sa.select(questions.c.id)
        .where(questions.c.mini_session_id == mini_session_id, questions.c.removed.is_(False))
        .exists()
    )


async def questions_of(
    db: Database, mini_session_id: int, *, as_written: bool = False
) -> list[Question]:
    """The questions a client of this mini session is asked now, in order, in the language
    in force (booking/texts.py); ``as_written``: in the studio's default language, as the
    dashboard edits and copies them."""
    rows = await fetch_all_as(db, QUESTIONS.bind(mini=mini_session_id), _QuestionRow)
    asked = [
        Question(
            **{**r._asdict(), "required": bool(r.required), "choices": tuple(json.loads(r.choices))}
        )
        for r in rows
    ]
    return asked if as_written else await in_language(db, "question", asked)
