"""``/admin/locations``: list, add, edit, archive and bring back the studio's locations.

Every lookup carries the viewer's studio id (booking/locations.py), so another studio's
location is a 404, the same as one that never existed.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.errors import InvalidDetails
from ...i18n import gettext as _
from ...i18n import lazy_gettext, ngettext
from ...studio.archive import set_location_archived
from ...studio.locations import (
    StudioLocation,
    TimeZoneInUse,
    check_location,
    create_location,
    studio_location,
    studio_locations,
    upcoming_days_at,
    update_location,
)
from ...studio.time_zones import zone_choices
from .auth import Admin, admin_context, admin_page
from .forms import not_found, path_id
from .pages import admin_render

FIELDS = ("name", "address", "map_url", "notes", "timezone")
DONE = {
    "added": lazy_gettext("Location added."),
    "saved": lazy_gettext("Saved."),
    "archived": lazy_gettext("Archived: it is no longer offered for new session days."),
    "unarchived": lazy_gettext("Back in use: it is offered for new session days again."),
}


NOT_FOUND = lazy_gettext("There is no location with that number in your studio.")


async def _location(request: Request, admin: Admin) -> StudioLocation | None:
    location_id = path_id(request, "location_id")
    if location_id is None:
        return None
    return await studio_location(request.app.state.db, admin.studio.id, location_id)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()  # already parsed (and limited) by the admin_page guard
    return {k: v for k in FIELDS if isinstance(v := form.get(k, ""), str)}


def _days(count: int) -> str:
    return ngettext("%(num)d upcoming session day", "%(num)d upcoming session days", count) % {
        "num": count
    }


def _render_form(
    request: Request,
    admin: Admin,
    *,
    location: StudioLocation | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    upcoming: int = 0,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        **admin_context(admin),
        "title": location.name if location else _("New location"),
        "location": location,
        "values": values,
        "errors": errors or {},
        "upcoming": upcoming,
        "upcoming_text": _days(upcoming),
        "zone_choices": zone_choices(),
        "flash": DONE.get(request.query_params.get("done", ""), ""),
    }
    return admin_render(
        request, "admin/location.html", context, session=admin.session, status_code=status_code
    )


@admin_page
async def locations_page(request: Request, admin: Admin) -> Response:
    now = request.app.state.clock()
    rows = await studio_locations(request.app.state.db, admin.studio.id, now)
    return admin_render(
        request,
        "admin/locations.html",
        {
            **admin_context(admin),
            "title": _("Locations"),
            "active": [(loc, _days(n)) for loc, n in rows if not loc.archived],
            "archived": [(loc, _days(n), n) for loc, n in rows if loc.archived],
        },
        session=admin.session,
    )


@admin_page
async def new_location_page(request: Request, admin: Admin) -> Response:
    """GET: an empty form in the studio's time zone. POST: add the location."""
    if request.method == "GET":
        values = {k: "" for k in FIELDS} | {"timezone": admin.studio.timezone}
        return _render_form(request, admin, location=None, values=values)
    values = await _form(request)
    try:
        fields = check_location(values)
    except InvalidDetails as exc:
        return _render_form(
            request, admin, location=None, values=values, errors=exc.errors, status_code=400
        )
    location_id = await create_location(request.app.state.db, admin.studio.id, fields)
    return RedirectResponse(f"/admin/locations/{location_id}?done=added", status_code=303)


@admin_page
async def location_page(request: Request, admin: Admin) -> Response:
    """GET: the location's form. POST: save it (a time zone change only without upcoming days)."""
    location = await _location(request, admin)
    if location is None:
        return not_found(request, admin, str(NOT_FOUND))
    db, now = request.app.state.db, request.app.state.clock()
    upcoming = await upcoming_days_at(db, location.id, now)
    if request.method == "GET":
        values = {k: str(getattr(location, k)) for k in FIELDS}
        return _render_form(request, admin, location=location, values=values, upcoming=upcoming)
    values = await _form(request)
    try:
        fields = check_location(values)
        if not await update_location(db, admin.studio.id, location.id, fields, now):
            return not_found(request, admin, str(NOT_FOUND))
    except InvalidDetails as exc:
        errors = exc.errors
    except TimeZoneInUse as exc:
        errors = {
            "timezone": (
                ngettext(
                    "%(num)d upcoming session day at this location still has times to come. "
                    "Its times were set in %(timezone)s; changing the time zone would move each "
                    "of them to a different hour. Keep %(timezone)s, or add a new location for "
                    "days in the other time zone.",
                    "%(num)d upcoming session days at this location still have times to come. "
                    "Their times were set in %(timezone)s; changing the time zone would move each "
                    "of them to a different hour. Keep %(timezone)s, or add a new location for "
                    "days in the other time zone.",
                    exc.days,
                )
                % {"num": exc.days, "timezone": location.timezone}
            )
        }
    else:
        return RedirectResponse(f"/admin/locations/{location.id}?done=saved", status_code=303)
    return _render_form(
        request,
        admin,
        location=location,
        values=values,
        errors=errors,
        upcoming=upcoming,
        status_code=400,
    )


async def _set_archived(request: Request, admin: Admin, archived: bool) -> Response:
    location_id = path_id(request, "location_id")
    if location_id is None or not await set_location_archived(
        request.app.state.db, admin.studio.id, location_id, archived
    ):
        return not_found(request, admin, str(NOT_FOUND))
    done = "archived" if archived else "unarchived"
    return RedirectResponse(f"/admin/locations/{location_id}?done={done}", status_code=303)


@admin_page
async def archive_page(request: Request, admin: Admin) -> Response:
    """POST: no longer offered for new session days; existing days and bookings keep it."""
    return await _set_archived(request, admin, True)


@admin_page
async def unarchive_page(request: Request, admin: Admin) -> Response:
    return await _set_archived(request, admin, False)


routes: list[BaseRoute] = [
    Route("/admin/locations", locations_page),
    Route("/admin/locations/new", new_location_page, methods=["GET", "POST"]),
    Route("/admin/locations/{location_id:id}", location_page, methods=["GET", "POST"]),
    Route("/admin/locations/{location_id:id}/archive", archive_page, methods=["POST"]),
    Route("/admin/locations/{location_id:id}/unarchive", unarchive_page, methods=["POST"]),
]
