"""Reading request input defensively: forms, ids in query strings."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

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


def parse_id(raw: str | None) -> int | None:
    """A positive database id from user input, or None for anything else."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        return None
    value = int(raw)
    return value if value > 0 else None
