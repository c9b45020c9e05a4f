"""``/admin/minis/{mini}/waitlist``: a mini session's waitlist in order, each client's
latest offer and its state, and offering a spot to one of them by hand."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.errors import NotFound, SlotUnavailable, WrongState
from ...booking.handoff import PART_LABELS
from ...booking.offers import mini_session_offer
from ...booking.waitlist import catch_up, offer_by_hand, waitlist_of
from ...i18n import gettext as _
from ...i18n import lazy_gettext
from ..forms import parse_id, read_form
from .auth import Admin, admin_context, admin_page
from .forms import not_found, path_id
from .minis import path_mini
from .pages import admin_render

FLASHES = {
    "offered": ("success", lazy_gettext("Spot offered. They've been emailed a link to claim it.")),
    "taken": ("warning", lazy_gettext("That time has no free spot any more. Choose another.")),
    "not_waiting": (
        "warning",
        lazy_gettext("That client isn't waiting any more (offered, claimed or left)."),
    ),
    "unbookable": ("warning", lazy_gettext("That time can't be booked now (blocked or too soon).")),
}


@admin_page
async def waitlist_page(request: Request, admin: Admin) -> Response:
    mini = await path_mini(request, admin)
    if mini is None:
        return not_found(request, admin)
    db, now = request.app.state.db, request.app.state.clock()
    await catch_up(db, mini, now)  # lapsed offers shown as they are: handed on
    lines = await waitlist_of(db, mini.id)
    offer = await mini_session_offer(db, mini, now)
    open_slots = [(d, s) for d in offer.days for s in d.slots if s.bookable]
    days = {d.day.id: d for d in offer.days}
    return admin_render(
        request,
        "admin/waitlist.html",
        {
            **admin_context(admin),
            "title": _("Waitlist · %(title)s") % {"title": mini.title},
            "mini": mini,
            "lines": lines,
            "days": days,
            "open_slots": open_slots,
            "part_labels": PART_LABELS,
            "flash": FLASHES.get(request.query_params.get("done", "")),
            "now": now,
        },
        session=admin.session,
    )


@admin_page
async def offer_action(request: Request, admin: Admin) -> Response:
    """POST slot=ID: hold a spot of that time for this client and email them."""
    mini = await path_mini(request, admin)
    entry_id = path_id(request, "entry_id")
    if mini is None or entry_id is None:
        return not_found(request, admin)
    form = await read_form(request)
    slot_id = parse_id(form.get("slot"))
    back = f"/admin/minis/{mini.id}/waitlist"
    if slot_id is None:
        return RedirectResponse(f"{back}?done=taken", status_code=303)
    try:
        await offer_by_hand(
            request.app.state.db,
            mini=mini,
            entry_id=entry_id,
            slot_id=slot_id,
            now=request.app.state.clock(),
        )
    except NotFound:
        return not_found(request, admin)
    except SlotUnavailable as exc:
        done = "taken" if exc.reason == "taken" else "unbookable"
        return RedirectResponse(f"{back}?done={done}", status_code=303)
    except WrongState:
        return RedirectResponse(f"{back}?done=not_waiting", status_code=303)
    return RedirectResponse(f"{back}?done=offered", status_code=303)


routes: list[BaseRoute] = [
    Route("/admin/minis/{mini_id:id}/waitlist", waitlist_page),
    Route("/admin/minis/{mini_id:id}/waitlist/{entry_id:id}/offer", offer_action, methods=["POST"]),
]
