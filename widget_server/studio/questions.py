"""Editing a mini session's questions from its settings form, and copying them.

The form has one row per question plus blank rows to add new ones, named
``question-<n>-<part>``. A question of another mini session named by a hostile form
updates nothing; removing a question only marks it removed, so answers already given
(which keep their own copy of the wording) still point at it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from databases import Database

from ..booking.questions import CHOICE_KINDS, KINDS, Question, questions_of
from ..db.limits import id_from_text
from ..db.tables import questions
from ..i18n import gettext as _
from .form_values import unstorable_fields

MAX_QUESTIONS = 30
MAX_LABEL = 200
MAX_HELP = 500
MAX_CHOICES = 30
MAX_CHOICE = 100
BLANK_ROWS = 2


@dataclass(frozen=True)
class QuestionDraft:
    id: int | None  # None: a new question
    kind: str
    label: str
    help: str
    required: bool
    position: int
    choices: tuple[str, ...]
    remove: bool = False


def form_rows(asked: Sequence[Question]) -> dict[str, str]:
    """The form's fields for stored questions (rows 0…), blank rows after them."""
    values: dict[str, str] = {}
    for n, q in enumerate(asked):
        prefix = f"question-{n}-"
        values |= {
            prefix + "id": str(q.id),
            prefix + "kind": q.kind,
            prefix + "label": q.label,
            prefix + "help": q.help,
            prefix + "required": "1" if q.required else "",
            prefix + "position": str(n + 1),
            prefix + "choices": "\n".join(q.choices),
        }
    return values


def row_count(fields: Mapping[str, str]) -> int:
    """How many rows the form shows: up to the last row with a question in it (stored or
    typed), plus blank ones to add more."""
    used = [
        n
        for n in range(MAX_QUESTIONS + BLANK_ROWS)
        if fields.get(f"question-{n}-label", "").strip() or fields.get(f"question-{n}-id")
    ]
    return min(max(used, default=-1) + 1, MAX_QUESTIONS) + BLANK_ROWS


def read_questions(fields: Mapping[str, str]) -> tuple[list[QuestionDraft], dict[str, str]]:
    """The questions from a submitted form, and an error message per field."""
    drafts: list[QuestionDraft] = []
    errors: dict[str, str] = {}
    for n in range(MAX_QUESTIONS + BLANK_ROWS):
        prefix = f"question-{n}-"
        label = " ".join(fields.get(prefix + "label", "").split())
        raw_id = fields.get(prefix + "id", "").strip()
        question_id = id_from_text(raw_id) if raw_id else None
        if not label:
            if question_id is not None:
                # Emptying an existing question's wording removes it, as the tick box does.
                drafts.append(QuestionDraft(question_id, "short", "", "", False, 0, (), True))
            continue
        remove = fields.get(prefix + "remove") == "1"
        kind = fields.get(prefix + "kind", "")
        if kind not in KINDS:
            errors[prefix + "kind"] = _("Choose what kind of answer this question takes.")
            kind = "short"
        if len(label) > MAX_LABEL:
            errors[prefix + "label"] = _("Keep the question under %(max_label)s characters.") % {
                "max_label": MAX_LABEL
            }
        help_text = " ".join(fields.get(prefix + "help", "").split())
        if len(help_text) > MAX_HELP:
            errors[prefix + "help"] = _("Keep the help under %(max_help)s characters.") % {
                "max_help": MAX_HELP
            }
        choices: list[str] = []
        for line in fields.get(prefix + "choices", "").splitlines():
            choice = " ".join(line.split())
            if choice and choice not in choices:
                choices.append(choice)
        if kind in CHOICE_KINDS and not remove:
            if len(choices) < 2:
                errors[prefix + "choices"] = _("Give at least two choices, one per line.")
            elif len(choices) > MAX_CHOICES or any(len(c) > MAX_CHOICE for c in choices):
                errors[prefix + "choices"] = _(
                    "At most %(max_choices)s choices of up to %(max_choice)s characters each."
                ) % {"max_choices": MAX_CHOICES, "max_choice": MAX_CHOICE}
        raw_position = fields.get(prefix + "position", "").strip()
        position = (
            int(raw_position)
            if raw_position.isascii() and raw_position.isdigit() and len(raw_position) < 4
            else 999
        )
        drafts.append(
            QuestionDraft(
                id=question_id,
                kind=kind,
                label=label,
                help=help_text,
                required=fields.get(prefix + "required") == "1",
                position=position,
                choices=tuple(choices) if kind in CHOICE_KINDS else (),
                remove=remove,
            )
        )
    if sum(1 for d in drafts if not d.remove) > MAX_QUESTIONS:
        errors["question-0-label"] = _(
            "A mini session can ask at most %(max_questions)s questions."
        ) % {"max_questions": MAX_QUESTIONS}
    errors |= {k: v for k, v in unstorable_fields(fields).items() if k.startswith("question-")}
    return drafts, errors


async def save_questions(db: Database, mini_id: int, drafts: Sequence[QuestionDraft]) -> None:
    """Apply the form's questions (inside the mini session's save transaction)."""
    kept = sorted((d for d in drafts if not d.remove), key=lambda d: (d.position, d.id or 10**12))
    for d in drafts:
        if d.remove and d.id is not None:
            await db.execute(
                questions.update()
                .where(questions.c.id == d.id, questions.c.mini_session_id == mini_id)
                .values(removed=True)
            )
    for position, d in enumerate(kept, start=1):
        values = {
            "kind": d.kind,
            "label": d.label,
            "help": d.help,
            "required": d.required,
            "position": position,
            "choices": json.dumps(list(d.choices)),
        }
        if d.id is not None:
            # Another mini session's question id matches nothing here.
            await db.execute(
                questions.update()
                .where(
                    questions.c.id == d.id,
                    questions.c.mini_session_id == mini_id,
                    questions.c.removed.is_(False),
                )
                .values(**values)
            )
        else:
            await db.execute(questions.insert().values(mini_session_id=mini_id, **values))


async def copy_questions(db: Database, from_mini: int, to_mini: int) -> dict[int, int]:
    """Give a duplicated mini session the same questions (new rows: answers stay apart);
    each original question's id -> its copy's."""
    copies: dict[int, int] = {}
    for q in await questions_of(db, from_mini, as_written=True):
        copies[q.id] = await db.execute(  # the new row's id
            questions.insert().values(
                mini_session_id=to_mini,
                kind=q.kind,
                label=q.label,
                help=q.help,
                required=q.required,
                position=q.position,
                choices=json.dumps(list(q.choices)),
            )
        )
    return copies


async def question_count(db: Database, mini_id: int) -> int:
    return int(
        await db.fetch_val(
            sa.select(sa.func.count())
            .select_from(questions)
            .where(questions.c.mini_session_id == mini_id, questions.c.removed.is_(False))
        )
    )
