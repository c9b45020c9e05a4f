"""The client's answers to a mini session's questions: checked, stored with the wording
they were asked with, read back, and corrected until the change cutoff.

An answer is stored as text (several choices one per line), next to a copy of the
question's label, kind and position: editing or removing the question later changes
no answer already given.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.rows import fetch_all_as
from ..db.tables import answers
from ..db.transactions import write_transaction
from ..i18n import gettext as _
from .details import ALLOWED_FORMAT_CHARS, REFUSED_CATEGORIES
from .errors import ChangeNotAllowed, InvalidDetails
from .events import record_event
from .questions import Question
from .views import BookingView

MAX_SHORT = 200
MAX_LONG = 2_000
MAX_NUMBER = 100_000
# Line breaks and tabs are welcome in long answers; no other control character is.
LONG_TEXT_CONTROLS = {"\n", "\t"}

# What each form field of the client's form holds: one value, or several (tick boxes).
FormValues = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class Answer:
    question_id: int
    kind: str
    label: str
    position: int
    value: str  # "" = not answered; several choices one per line

    @property
    def lines(self) -> list[str]:
        return self.value.split("\n") if self.value else []


def _refused_char(value: str, allowed: set[str]) -> bool:
    return any(
        unicodedata.category(ch) in REFUSED_CATEGORIES
        and ch not in ALLOWED_FORMAT_CHARS
        and ch not in allowed
        for ch in value
    )


def _one(values: FormValues, name: str) -> str:
    raw = values.get(name, "")
    if isinstance(raw, str):
        return raw
    return raw[0] if raw else ""


def _many(values: FormValues, name: str) -> list[str]:
    raw = values.get(name, [])
    return [raw] if isinstance(raw, str) else list(raw)


def _check(question: Question, values: FormValues) -> str:
    """The answer to store; ValueError with the message for the client when it can't be."""
    name = question.field
    if question.kind == "several":
        picked = _many(values, name)
        if any(choice not in question.choices for choice in picked):
            raise ValueError(_("Please choose from the options shown."))
        # In the order offered, once each.
        return "\n".join(c for c in question.choices if c in picked)
    raw = _one(values, name)
    if question.kind == "long":
        text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(text) > MAX_LONG:
            raise ValueError(_("Please keep this under %(most)s characters.") % {"most": MAX_LONG})
        if _refused_char(text, LONG_TEXT_CONTROLS):
            raise ValueError(_("Your answer contains characters we can't accept."))
        return text
    text = " ".join(raw.split())
    if not text:
        return ""
    if question.kind == "short":
        if len(text) > MAX_SHORT:
            raise ValueError(_("Please keep this under %(most)s characters.") % {"most": MAX_SHORT})
        if _refused_char(text, set()):
            raise ValueError(_("Your answer contains characters we can't accept."))
        return text
    if question.kind in {"single", "select"}:
        if text not in question.choices:
            raise ValueError(_("Please choose one of the options shown."))
        return text
    if question.kind == "yesno":
        if text not in {"yes", "no"}:
            raise ValueError(_("Please answer yes or no."))
        return "Yes" if text == "yes" else "No"
    if question.kind == "number":
        # ASCII digits only: "²".isdigit() is true, but int("²") fails.
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_NUMBER:
            raise ValueError(
                _("Please enter a whole number from 0 to %(most)s.") % {"most": MAX_NUMBER}
            )
        return str(int(text))
    if question.kind == "date":
        try:
            when = date.fromisoformat(text) if text.isascii() and len(text) == 10 else None
        except ValueError:
            when = None
        if when is None or not 1900 <= when.year <= 2100:
            raise ValueError("Please enter a date like 2026-10-03.")
        return when.isoformat()
    raise ValueError("This question can't be answered here.")


def check_answers(questions: Sequence[Question], values: FormValues) -> list[Answer]:
    """An answer per question (in order), or InvalidDetails with a message per field.

    Only ``questions`` are read: a field naming another mini session's question (or
    one removed meanwhile) is ignored, never stored.
    """
    errors: dict[str, str] = {}
    found: list[Answer] = []
    for question in questions:
        try:
            value = _check(question, values)
        except ValueError as exc:
            errors[question.field] = str(exc)
            continue
        if question.required and not value:
            errors[question.field] = (
                _("Please choose at least one.")
                if question.kind == "several"
                else _("Please answer this question.")
            )
            continue
        found.append(Answer(question.id, question.kind, question.label, question.position, value))
    if errors:
        raise InvalidDetails(errors)
    return found


def answer_fields(questions: Sequence[Question], base: int = 30) -> int:
    """How many fields a form asking ``questions`` may send: ``base`` for the rest of the
    form, one per question, one per tick box (a bigger form is refused unread)."""
    return base + sum(len(q.choices) if q.kind == "several" else 1 for q in questions)


def form_values(answers_given: Sequence[Answer]) -> dict[str, str | list[str]]:
    """Stored answers as the form's fields show them (the client's correction form)."""
    shown: dict[str, str | list[str]] = {}
    for answer in answers_given:
        name = f"q{answer.question_id}"
        if answer.kind == "several":
            shown[name] = answer.lines
        elif answer.kind == "yesno":
            shown[name] = answer.value.lower()
        else:
            shown[name] = answer.value
    return shown


async def save_answers(
    db: Database, booking_id: int, given: Sequence[Answer], now: datetime
) -> None:
    """Store the booking's answers, replacing any it had for the same questions.

    Call inside a transaction (the booking's own, or the correction's).
    """
    ids = [a.question_id for a in given]
    if ids:
        await db.execute(
            answers.delete().where(
                answers.c.booking_id == booking_id, answers.c.question_id.in_(ids)
            )
        )
    for answer in given:
        await db.execute(
            answers.insert().values(
                booking_id=booking_id,
                question_id=answer.question_id,
                kind=answer.kind,
                label=answer.label,
                position=answer.position,
                value=answer.value,
                updated_at=now,
            )
        )


async def answers_of(db: Database, booking_ids: Sequence[int]) -> dict[int, list[Answer]]:
    """Each booking's answers, in the order they were asked."""
    if not booking_ids:
        return {}

    class _Row(NamedTuple):
        booking_id: int
        question_id: int
        kind: str
        label: str
        position: int
        value: str

    rows = await fetch_all_as(
        db,
        sa.select(
            answers.c.booking_id,
            answers.c.question_id,
            answers.c.kind,
            answers.c.label,
            answers.c.position,
            answers.c.value,
        )
        .where(answers.c.booking_id.in_(list(booking_ids)))
        .order_by(answers.c.booking_id, answers.c.position, answers.c.question_id),
        _Row,
    )
    found: dict[int, list[Answer]] = {}
    for r in rows:
        found.setdefault(r.booking_id, []).append(
            Answer(r.question_id, r.kind, r.label, r.position, r.value)
        )
    return found


async def booking_answers(db: Database, booking_id: int) -> list[Answer]:
    return (await answers_of(db, [booking_id])).get(booking_id, [])


def answers_open_until(booking: BookingView) -> datetime:
    """Answers can be corrected until the change cutoff (the same hour reschedules close)."""
    return booking.starts_at - timedelta(hours=booking.mini.change_cutoff_hours)


def can_correct(booking: BookingView, now: datetime) -> bool:
    return booking.status == "booked" and now < answers_open_until(booking)


async def correct_answers(
    db: Database, booking: BookingView, given: Sequence[Answer], now: datetime
) -> None:
    """The client's corrected answers replace theirs to the questions asked now (answers to
    questions removed since stay as they were). ChangeNotAllowed past the cutoff."""
    if not can_correct(booking, now):
        raise ChangeNotAllowed("not_booked" if booking.status != "booked" else "cutoff")
    async with write_transaction(db):
        await save_answers(db, booking.id, given, now)
        await record_event(db, booking.id, "answers_corrected", now)
