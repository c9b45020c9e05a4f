"""``/admin/minis/{mini}/drop``: a scheduled drop: when the mini session opens, early
access from when, the secret early-access link, and the clients who get a personal one
(typed in, or picked from earlier bookings), emailed through the outbox."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.catalog import MiniSession
from ...booking.drops import (
    add_early_emails,
    early_emails,
    ensure_early_key,
    past_clients,
    queue_early_access_emails,
    remove_early_email,
    set_drop_times,
)
from ...formatting import local
from ...i18n import gettext as _
from ...i18n import lazy_gettext
from .auth import Admin, admin_context, admin_page
from .forms import not_found, text_fields, text_list
from .minis import path_mini
from .pages import admin_render

FLASHES = {
    "saved": lazy_gettext("Opening times saved."),
    "added": lazy_gettext("Added to the early-access list."),
    "removed": lazy_gettext("Removed from the early-access list."),
    "sent": lazy_gettext("Early-access emails queued (each client is emailed once)."),
}
MAX_EMAILS = 500


def _local_input(instant: datetime | None, timezone: str) -> str:
    return local(instant, timezone).strftime("%Y-%m-%dT%H:%M") if instant else ""


def _read_local(text: str, timezone: str) -> datetime | None:
    """A ``datetime-local`` value in the studio's zone, as UTC; None for empty."""
    text = text.strip()
    if not text:
        return None
    wall = datetime.fromisoformat(text)  # ValueError for anything else
    if wall.tzinfo is not None or not 2000 <= wall.year <= 9000:
        raise ValueError("no zone, or a year no one means")
    return wall.replace(tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))


async def _page(
    request: Request,
    admin: Admin,
    mini: MiniSession,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    db = request.app.state.db
    tz = admin.studio.timezone
    key = await ensure_early_key(db, mini)
    base = request.app.state.settings.base_url.rstrip("/")
    listed = await early_emails(db, mini.id)
    past = [e for e in await past_clients(db, admin.studio.id, mini.id) if e not in listed]
    return admin_render(
        request,
        "admin/drop.html",
        {
            **admin_context(admin),
            "title": _("Scheduled opening · %(title)s") % {"title": mini.title},
            "mini": mini,
            "values": values
            or {
                "opens_at": _local_input(mini.opens_at, tz),
                "early_opens_at": _local_input(mini.early_opens_at, tz),
            },
            "errors": errors or {},
            "early_link": f"{base}/{admin.studio.slug}/{mini.slug}?early={key}",
            "listed": listed,
            "past": past,
            "flash": FLASHES.get(request.query_params.get("done", "")),
            "now": request.app.state.clock(),
        },
        session=admin.session,
        status_code=status_code,
    )


@admin_page
async def drop_page(request: Request, admin: Admin) -> Response:
    mini = await path_mini(request, admin)
    if mini is None:
        return not_found(request, admin)
    if request.method == "GET":
        return await _page(request, admin, mini)
    fields = text_fields(await request.form())
    values = {k: fields.get(k, "") for k in ("opens_at", "early_opens_at")}
    errors: dict[str, str] = {}
    parsed: dict[str, datetime | None] = {}
    for name in values:
        try:
            parsed[name] = _read_local(values[name], admin.studio.timezone)
        except ValueError:
            errors[name] = _("Enter a date and time, like 2026-12-05 19:00.")
    opens, early = parsed.get("opens_at"), parsed.get("early_opens_at")
    if not errors and early is not None and opens is None:
        errors["early_opens_at"] = _("Set when booking opens to everyone first.")
    elif not errors and early is not None and opens is not None and early >= opens:
        errors["early_opens_at"] = _("Early access has to start before booking opens to everyone.")
    if errors:
        return await _page(request, admin, mini, values=values, errors=errors, status_code=400)
    await set_drop_times(request.app.state.db, mini.id, opens, early)
    return RedirectResponse(f"/admin/minis/{mini.id}/drop?done=saved", status_code=303)


@admin_page
async def early_list_action(request: Request, admin: Admin) -> Response:
    """POST action=add (emails typed, past clients ticked), remove (email), or send."""
    mini = await path_mini(request, admin)
    if mini is None:
        return not_found(request, admin)
    db, now = request.app.state.db, request.app.state.clock()
    form = await request.form()
    fields = text_fields(form)
    action = fields.get("action", "")
    back = f"/admin/minis/{mini.id}/drop"
    if action == "remove":
        await remove_early_email(db, mini.id, fields.get("email", ""))
        return RedirectResponse(f"{back}?done=removed", status_code=303)
    if action == "send":
        await queue_early_access_emails(db, admin.studio.id, mini, now)
        return RedirectResponse(f"{back}?done=sent", status_code=303)
    typed = fields.get("emails", "").replace(",", "\n").split()
    picked = text_list(form, "past")
    emails: list[str] = []
    bad: list[str] = []
    for raw in [*typed, *picked][:MAX_EMAILS]:
        try:
            emails.append(validate_email(raw, check_deliverability=False).normalized)
        except EmailNotValidError:
            bad.append(raw[:100])
    if bad:
        return await _page(
            request,
            admin,
            mini,
            errors={"emails": _("These aren't email addresses: ") + ", ".join(bad)},
            status_code=400,
        )
    await add_early_emails(db, mini.id, emails, now)
    return RedirectResponse(f"{back}?done=added", status_code=303)


routes: list[BaseRoute] = [
    Route("/admin/minis/{mini_id:id}/drop", drop_page, methods=["GET", "POST"]),
    Route("/admin/minis/{mini_id:id}/drop/early", early_list_action, methods=["POST"]),
]
