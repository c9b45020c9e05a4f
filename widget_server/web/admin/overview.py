"""The studio at a glance (/admin/overview): every active mini session's spots, money and
funnel summed, and a line per mini session (studio/sales.py computes the figures)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...formatting import local
from ...i18n import gettext as _
from ...studio.minis import studio_minis
from ...studio.sales import funnel_period, mini_sales
from .auth import Admin, admin_context, admin_page
from .pages import admin_render


@admin_page
async def overview_page(request: Request, admin: Admin) -> Response:
    db = request.app.state.db
    now = request.app.state.clock()
    currency = admin.studio.currency
    today = local(now, admin.studio.timezone).date()
    days = funnel_period(request.query_params.get("days"))
    active = [s.mini for s in await studio_minis(db, admin.studio.id, now) if not s.mini.archived]
    ids = [m.id for m in active]
    per_mini = [
        (m, await mini_sales(db, [m.id], now, currency=currency, today=today, days=days))
        for m in active
    ]
    return admin_render(
        request,
        "admin/overview.html",
        {
            **admin_context(admin),
            "title": _("Overview"),
            "sales": await mini_sales(db, ids, now, currency=currency, today=today, days=days),
            "per_mini": per_mini,
            "titles": {m.id: m.title for m in active},
        },
        session=admin.session,
    )


routes: list[BaseRoute] = [Route("/admin/overview", overview_page)]
