"""A mini session's session days in the dashboard: add (with a preview), block and add
slots, change and delete a day. HTTP only: booking/day_form.py validates, booking/day_admin.py
writes. A change that would touch clients' bookings shows them first and asks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.catalog import Location, MiniSession
from ...booking.errors import InvalidDetails, NotFound
from ...booking.slots import create_session_day
from ...booking.waitlist import catch_up
from ...formatting import local
from ...i18n import gettext as _
from ...studio.day_form import (
    DAY_LIMITS,
    SLOT_MINUTES,
    WARNINGS,
    DayInput,
    day_warnings,
    read_day,
)
from ...studio.days import (
    AdminDay,
    Affected,
    add_slot,
    change_day,
    delete_day,
    set_slot_blocked,
    studio_day,
)
from ...studio.form_values import parse_clock, parse_whole
from ...studio.locations import active_locations
from .auth import Admin, admin_context, admin_page
from .forms import not_found, path_id, text_fields
from .minis import mini_page_response, path_mini
from .pages import admin_render


def _today(request: Request, day: DayInput) -> date:
    """Today where the day happens (a date is "past" by the location's calendar)."""
    return local(request.app.state.clock(), day.location.timezone).date()


async def _preview(request: Request, admin: Admin, mini_id: int, day: DayInput, **kw: Any) -> dict:
    codes = await day_warnings(request.app.state.db, mini_id, day, _today(request, day), **kw)
    return {
        "slots": day.slots(),
        "location": day.location,
        "date": day.plan.date,
        "warnings": [WARNINGS[c] for c in codes],
    }


async def offer_new_room(request: Request, mini: MiniSession) -> None:
    """Spots the photographer just added (a day, a slot, capacity, an opened slot) go to
    the waiting clients they suit first (booking/waitlist.catch_up)."""
    await catch_up(request.app.state.db, mini, request.app.state.clock())


@admin_page
async def add_day_action(request: Request, admin: Admin) -> Response:
    """POST action=preview: the slots the day would have, nothing saved. action=save: create it."""
    mini = await path_mini(request, admin)
    if mini is None:
        return not_found(request, admin)
    db = request.app.state.db
    fields = text_fields(await request.form())
    day, errors = read_day(fields, await active_locations(db, admin.studio.id))
    if day is None:
        return await mini_page_response(
            request, admin, mini, day_values=fields, day_errors=errors, status_code=400
        )
    if fields.get("action") != "save":
        preview = await _preview(request, admin, mini.id, day)
        return await mini_page_response(request, admin, mini, day_values=fields, preview=preview)
    codes = await day_warnings(db, mini.id, day, _today(request, day))
    await create_session_day(
        db, mini_session_id=mini.id, location_id=day.location.id, plan=day.plan
    )
    await offer_new_room(request, mini)
    warn = "".join(f"&warn={c}" for c in codes)
    return RedirectResponse(f"/admin/minis/{mini.id}?done=added{warn}", status_code=303)


async def _day(request: Request, admin: Admin) -> tuple[MiniSession, AdminDay] | None:
    mini = await path_mini(request, admin)
    day_id = path_id(request, "day_id")
    if mini is None or day_id is None:
        return None
    day = await studio_day(
        request.app.state.db, admin.studio.id, mini.id, day_id, request.app.state.clock()
    )
    return (mini, day) if day else None


def _day_values(day: AdminDay) -> dict[str, str]:
    plan = day.plan
    return {
        "location": str(day.location.id),
        "date": plan.date.isoformat(),
        "start_time": plan.start_time.strftime("%H:%M"),
        "end_time": plan.end_time.strftime("%H:%M"),
        "slot_minutes": str(plan.slot_minutes),
        "gap_minutes": str(plan.gap_minutes),
        "capacity": str(plan.capacity),
    }


async def _location_choices(request: Request, admin: Admin, day: AdminDay) -> list[Location]:
    """The studio's open locations, and the day's own even if it has been archived since."""
    choices: list[Location] = list(await active_locations(request.app.state.db, admin.studio.id))
    if all(loc.id != day.location.id for loc in choices):
        choices.insert(0, day.location)
    return choices


async def _edit_page(
    request: Request,
    admin: Admin,
    mini: MiniSession,
    day: AdminDay,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    slot_values: dict[str, str] | None = None,
    slot_errors: dict[str, str] | None = None,
    preview: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return admin_render(
        request,
        "admin/day_edit.html",
        {
            **admin_context(admin),
            "title": f"{mini.title}, {day.date.isoformat()}",
            "mini": mini,
            "day": day,
            "locations": await _location_choices(request, admin, day),
            "values": values or _day_values(day),
            "errors": errors or {},
            "slot_values": slot_values
            or {"slot_start": "", "slot_length": str(day.plan.slot_minutes)},
            "slot_errors": slot_errors or {},
            "preview": preview,
            "limits": DAY_LIMITS,
            "flash": request.query_params.get("done", ""),
            "now": request.app.state.clock(),
        },
        session=admin.session,
        status_code=status_code,
    )


def _affected_page(
    request: Request,
    admin: Admin,
    mini: MiniSession,
    day: AdminDay,
    affected: list[Affected],
    *,
    purpose: str,
    values: dict[str, str] | None = None,
    fingerprint: str = "",
    changed_since: bool = False,
) -> Response:
    return admin_render(
        request,
        "admin/day_affected.html",
        {
            **admin_context(admin),
            "title": _("Bookings on this day"),
            "mini": mini,
            "day": day,
            "affected": affected,
            "purpose": purpose,
            "values": values or {},
            "fingerprint": fingerprint,
            "changed_since": changed_since,
            "now": request.app.state.clock(),
        },
        session=admin.session,
        status_code=409,
    )


@admin_page
async def day_edit_page(request: Request, admin: Admin) -> Response:
    """GET: the day's slots (block, add) and the form to change it.
    POST action=preview: the new plan's slots. action=save: change it, asking first when
    bookings are affected (``keep`` carries the fingerprint of the set the photographer saw)."""
    found = await _day(request, admin)
    if found is None:
        return not_found(request, admin)
    mini, day = found
    if request.method == "GET":
        return await _edit_page(request, admin, mini, day)
    fields = text_fields(await request.form())
    values = {k: v for k, v in fields.items() if k in _day_values(day)}
    new, errors = read_day(fields, await _location_choices(request, admin, day))
    if new is None:
        return await _edit_page(
            request, admin, mini, day, values=values, errors=errors, status_code=400
        )
    if fields.get("action") != "save":
        preview = await _preview(request, admin, mini.id, new, except_day_id=day.id)
        return await _edit_page(request, admin, mini, day, values=values, preview=preview)
    keep = fields.get("keep", "").strip() or None
    try:
        result = await change_day(
            request.app.state.db, day, new, now=request.app.state.clock(), keep_fingerprint=keep
        )
    except NotFound:
        return not_found(request, admin)
    if result.location_locked:
        message = _("Clients have booked this day, so it stays at its location.")
        return await _edit_page(
            request, admin, mini, day, values=values, errors={"location": message}, status_code=400
        )
    if not result.applied:
        return _affected_page(
            request,
            admin,
            mini,
            day,
            result.affected,
            purpose="change",
            values=values,
            fingerprint=result.fingerprint,
            changed_since=result.changed_since,
        )
    await offer_new_room(request, mini)
    return RedirectResponse(f"/admin/minis/{mini.id}/days/{day.id}/edit?done=changed", 303)


@admin_page
async def block_slot_action(request: Request, admin: Admin) -> Response:
    """POST blocked=1: clients can't book the slot (bookings on it stay); blocked=0 opens it."""
    found = await _day(request, admin)
    slot_id = path_id(request, "slot_id")
    if found is None or slot_id is None:
        return not_found(request, admin)
    mini, day = found
    blocked = (await request.form()).get("blocked") == "1"
    if not await set_slot_blocked(request.app.state.db, day, slot_id, blocked):
        return not_found(request, admin)
    if not blocked:
        await offer_new_room(request, mini)
    done = "blocked" if blocked else "opened"
    return RedirectResponse(f"/admin/minis/{mini.id}/days/{day.id}/edit?done={done}", 303)


@admin_page
async def add_slot_action(request: Request, admin: Admin) -> Response:
    """POST: one more slot at a local time on the day, with the day's capacity."""
    found = await _day(request, admin)
    if found is None:
        return not_found(request, admin)
    mini, day = found
    fields = text_fields(await request.form())
    slot_values = {k: fields.get(k, "") for k in ("slot_start", "slot_length")}
    errors: dict[str, str] = {}
    try:
        start = parse_clock(slot_values["slot_start"])
    except ValueError as exc:
        errors["slot_start"] = str(exc)
    try:
        minutes = parse_whole(slot_values["slot_length"], *SLOT_MINUTES, "minutes")
    except ValueError as exc:
        errors["slot_length"] = str(exc)
    if not errors:
        try:
            await add_slot(request.app.state.db, day, start, minutes)
        except InvalidDetails as exc:
            errors = exc.errors
        else:
            await offer_new_room(request, mini)
            return RedirectResponse(f"/admin/minis/{mini.id}/days/{day.id}/edit?done=added", 303)
    return await _edit_page(
        request, admin, mini, day, slot_values=slot_values, slot_errors=errors, status_code=400
    )


@admin_page
async def delete_day_page(request: Request, admin: Admin) -> Response:
    """GET: are you sure? POST: delete it, unless a client is booked or holding a spot."""
    found = await _day(request, admin)
    if found is None:
        return not_found(request, admin)
    mini, day = found
    if request.method == "GET":
        return admin_render(
            request,
            "admin/day_delete.html",
            {**admin_context(admin), "title": _("Delete this day?"), "mini": mini, "day": day},
            session=admin.session,
        )
    try:
        result = await delete_day(request.app.state.db, day, now=request.app.state.clock())
    except NotFound:
        return not_found(request, admin)
    if result.outcome == "affected":
        return _affected_page(request, admin, mini, day, result.affected, purpose="delete")
    return RedirectResponse(f"/admin/minis/{mini.id}?done={result.outcome}", status_code=303)


routes: list[BaseRoute] = [
    Route("/admin/minis/{mini_id:id}/days", add_day_action, methods=["POST"]),
    Route(
        "/admin/minis/{mini_id:id}/days/{day_id:id}/edit", day_edit_page, methods=["GET", "POST"]
    ),
    Route(
        "/admin/minis/{mini_id:id}/days/{day_id:id}/delete",
        delete_day_page,
        methods=["GET", "POST"],
    ),
    Route("/admin/minis/{mini_id:id}/days/{day_id:id}/slots", add_slot_action, methods=["POST"]),
    Route(
        "/admin/minis/{mini_id:id}/days/{day_id:id}/slots/{slot_id:id}/block",
        block_slot_action,
        methods=["POST"],
    ),
]
