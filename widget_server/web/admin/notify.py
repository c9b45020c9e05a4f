"""``/admin/notify``: the studio's "notify me" list (who, confirmed or not), its CSV
export, and announcing a mini session to the confirmed addresses."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.notify_list import ANNOUNCE_PER_MINUTE, announce, studio_subscribers
from ...i18n import gettext as _
from ...studio.minis import studio_mini, studio_minis
from ..forms import parse_id, read_form
from .auth import Admin, admin_context, admin_page
from .export import safe_cell
from .forms import not_found
from .pages import admin_render


@admin_page
async def notify_page(request: Request, admin: Admin) -> Response:
    db, now = request.app.state.db, request.app.state.clock()
    people = await studio_subscribers(db, admin.studio.id)
    minis = [s.mini for s in await studio_minis(db, admin.studio.id, now) if not s.mini.archived]
    queued = request.query_params.get("queued")
    return admin_render(
        request,
        "admin/notify.html",
        {
            **admin_context(admin),
            "title": _("Notify-me list"),
            "people": people,
            "confirmed": sum(1 for p in people if p.state == "confirmed"),
            "minis": [m for m in minis if m.visibility != "draft"],
            "per_minute": ANNOUNCE_PER_MINUTE,
            "queued": int(queued) if queued and queued.isdigit() else None,
        },
        session=admin.session,
    )


@admin_page
async def announce_action(request: Request, admin: Admin) -> Response:
    """POST mini=ID: queue its announcement to every confirmed address (once each)."""
    db, now = request.app.state.db, request.app.state.clock()
    mini_id = parse_id((await read_form(request)).get("mini"))
    mini = await studio_mini(db, admin.studio.id, mini_id) if mini_id else None
    if mini is None:
        return not_found(request, admin)
    queued = await announce(db, admin.studio.id, mini, now)
    return RedirectResponse(f"/admin/notify?queued={queued}", status_code=303)


@admin_page
async def export_csv(request: Request, admin: Admin) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "state", "asked_at", "confirmed_at", "unsubscribed_at"])
    for p in await studio_subscribers(request.app.state.db, admin.studio.id):
        writer.writerow(
            [
                safe_cell(p.email),
                p.state,
                p.created_at.isoformat(),
                p.confirmed_at.isoformat() if p.confirmed_at else "",
                p.unsubscribed_at.isoformat() if p.unsubscribed_at else "",
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="notify-list.csv"'},
    )


routes: list[BaseRoute] = [
    Route("/admin/notify", notify_page),
    Route("/admin/notify.csv", export_csv),
    Route("/admin/notify/announce", announce_action, methods=["POST"]),
]
