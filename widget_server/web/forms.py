"""Reading request input defensively: forms, ids in query strings and in paths."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..db.limits import id_from_text

MAX_FIELDS = 30


async def read_form(request: Request) -> dict[str, str]:
    """The form's text fields (first value of each). Files are refused."""
    async with request.form(max_files=0, max_fields=MAX_FIELDS) as form:
        values: dict[str, str] = {}
        for key, value in form.multi_items():
            if not isinstance(value, str):
                raise HTTPException(400, "Files can't be sent here.")
            values.setdefault(key, value)
    return values


async def read_form_lists(request: Request, max_fields: int = MAX_FIELDS) -> dict[str, list[str]]:
    """Every value of each text field, in order (tick boxes send one per choice).
    ``max_fields``: a form with questions has room for each answer (or each tick box)."""
    async with request.form(max_files=0, max_fields=max_fields) as form:
        values: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if not isinstance(value, str):
                raise HTTPException(400, "Files can't be sent here.")
            values.setdefault(key, []).append(value)
    return values


# An address whose normal form is itself but for the case of its domain (email-validator
# lower-cases that): looked up case-blind, it finds the lead saved from it.
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}")


async def posted_plain_email(request: Request) -> str | None:
    """The ``email`` field of a URL-encoded form, when it is one plain ASCII address, else
    None (the caller then reads and checks the form in full). The body stays readable."""
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    try:
        fields = parse_qsl((await request.body()).decode("ascii"), max_num_fields=MAX_FIELDS * 4)
    except (UnicodeDecodeError, ValueError):
        return None
    emails = [value.strip() for key, value in fields if key == "email"]
    if len(emails) != 1 or not _PLAIN_EMAIL.fullmatch(emails[0]):
        return None
    return emails[0]


def parse_id(raw: str | None) -> int | None:
    """A database id from user input (a query string, a form), or None for anything no row
    can have: not ASCII digits, zero, or past PostgreSQL's integer (db/limits.py)."""
    return id_from_text(raw)


class IdConvertor(Convertor[int]):
    """``{name:id}`` in a route: a run of ASCII digits, as ``{name:int}`` matches, read as an
    id a row can have, or 0 (no row's id, so the page answers 404). Starlette's ``int``
    convertor would hand on any size, and ``int()`` of 5,000 digits raises (Python's limit
    on integer strings), 2**31 and more makes PostgreSQL fail the query."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        return id_from_text(value) or 0

    def to_string(self, value: int) -> str:
        return str(value)


# Registered when web/ is first imported (web/__init__.py), before any route is built.
register_url_convertor("id", IdConvertor())
