"""Reading dashboard forms and paths: text values only, ids that can exist, the 404 page."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from ...db.limits import MAX_ID
from ...i18n import gettext as _
from .auth import Admin, admin_context
from .pages import admin_error

MAX_FIELD_CHARS = 50_000


def text_fields(form: FormData) -> dict[str, str]:
    """Each field's (last) text value; a file upload where text belongs counts as empty."""
    return {
        key: value[:MAX_FIELD_CHARS] if isinstance(value, str) else ""
        for key, value in form.multi_items()
    }


def text_list(form: FormData, name: str) -> list[str]:
    return [v[:100] for v in form.getlist(name) if isinstance(v, str)]


def path_id(request: Request, name: str) -> int | None:
    """A ``{name:id}`` path id a row can have, else None (the handler answers 404): the
    convertor takes any run of digits, and PostgreSQL refuses to compare past MAX_ID."""
    value = request.path_params[name]
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


def not_found(
    request: Request,
    admin: Admin,
    message: str = _("There is nothing with that number in your studio."),
) -> Response:
    """The dashboard's 404: an id of another studio's gets this too, as if it never existed."""
    return admin_error(request, admin.session, 404, message, context=admin_context(admin))


async def posted_text_fields(request: Request) -> dict[str, str]:
    """The POSTed form's text fields (the guard has read and checked it already)."""
    return text_fields(await request.form())
