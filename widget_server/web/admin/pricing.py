"""``/admin/pricing`` (coupon codes, tax rates) and ``/admin/minis/{mini}/addons``.

Thin handlers over studio/pricing_admin.py: every lookup names the viewer's studio, a form
with mistakes comes back with what was typed and a message per field (400), nothing saved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.catalog import MiniSession
from ...booking.errors import InvalidDetails
from ...booking.extras import addons_of
from ...formatting import local
from ...i18n import gettext as _
from ...i18n import lazy_gettext
from ...studio.form_values import money_input, percent_input
from ...studio.minis import studio_mini, studio_minis
from ...studio.pricing_admin import (
    CodeTaken,
    check_addon,
    check_coupon,
    check_tax_rate,
    coupon_mini_ids,
    save_addon,
    save_coupon,
    save_tax_rate,
    set_addon_archived,
    set_coupon_archived,
    set_tax_rate_archived,
    studio_addon,
    studio_addon_choices,
    studio_coupon,
    studio_coupons,
    studio_tax_rate,
    studio_tax_rates,
    tax_rate_targets,
)
from .auth import Admin, admin_context, admin_page
from .forms import not_found, path_id, posted_text_fields
from .pages import admin_render

DONE = {
    "saved": lazy_gettext("Saved."),
    "added": lazy_gettext("Added."),
    "archived": lazy_gettext("Archived."),
    "unarchived": lazy_gettext("In use again."),
}


def _flash(request: Request) -> str:
    return str(DONE.get(request.query_params.get("done", ""), ""))


async def _minis(request: Request, admin: Admin) -> list[Any]:
    rows = await studio_minis(request.app.state.db, admin.studio.id, request.app.state.clock())
    return [m for m in rows if not m.mini.archived]


@admin_page
async def pricing_page(request: Request, admin: Admin) -> Response:
    db = request.app.state.db
    return admin_render(
        request,
        "admin/pricing.html",
        {
            **admin_context(admin),
            "title": _("Codes & tax"),
            "coupons": await studio_coupons(db, admin.studio.id),
            "rates": await studio_tax_rates(db, admin.studio.id),
            "percent": percent_input,
            "flash": _flash(request),
        },
        session=admin.session,
    )


# Coupons ------------------------------------------------------------------------------


def _day_text(moment: datetime | None, timezone: str) -> str:
    return local(moment, timezone).date().isoformat() if moment else ""


async def _coupon_form(
    request: Request,
    admin: Admin,
    coupon_id: int | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return admin_render(
        request,
        "admin/coupon.html",
        {
            **admin_context(admin),
            "title": values.get("code") or _("New code"),
            "coupon_id": coupon_id,
            "values": values,
            "errors": errors,
            "minis": await _minis(request, admin),
            "currency": admin.studio.currency,
            "flash": _flash(request),
        },
        session=admin.session,
        status_code=status_code,
    )


@admin_page
async def coupon_page(request: Request, admin: Admin) -> Response:
    """GET: the code's form (a new one at /new). POST: check and save it."""
    db = request.app.state.db
    coupon_id = None
    if "coupon_id" in request.path_params:
        coupon_id = path_id(request, "coupon_id")
        coupon = None if coupon_id is None else await studio_coupon(db, admin.studio.id, coupon_id)
        if coupon is None:
            return not_found(request, admin, _("There is no code with that number in your studio."))
        tz = admin.studio.timezone
        stored = {
            "code": coupon.code,
            "kind": coupon.kind,
            "amount": percent_input(coupon.value)
            if coupon.kind == "percent"
            else money_input(coupon.value, admin.studio.currency),
            "base_only": "1" if coupon.base_only else "",
            "scope": "all" if coupon.all_minis else "some",
            "starts_on": _day_text(coupon.starts_at, tz),
            "ends_on": _day_text(coupon.ends_at, tz),
            "max_uses": "" if coupon.max_uses is None else str(coupon.max_uses),
            "per_email_limit": ""
            if coupon.per_email_limit is None
            else str(coupon.per_email_limit),
            "used": str(coupon.used),
            "archived": "1" if coupon.archived else "",
        }
        stored |= {f"mini_{i}": "1" for i in await coupon_mini_ids(db, coupon.id)}
    else:
        stored = {"kind": "percent", "scope": "all"}
    if request.method == "GET":
        return await _coupon_form(request, admin, coupon_id, stored, {})
    form = await posted_text_fields(request)
    mini_ids = {m.mini.id for m in await _minis(request, admin)}
    try:
        values, chosen = check_coupon(form, admin.studio.currency, admin.studio.timezone, mini_ids)
        saved = await save_coupon(db, admin.studio.id, values, chosen, coupon_id)
    except InvalidDetails as exc:
        return await _coupon_form(request, admin, coupon_id, form, exc.errors, 400)
    except CodeTaken:
        errors = {"code": _("Your studio already has this code.")}
        return await _coupon_form(request, admin, coupon_id, form, errors, 400)
    done = "saved" if coupon_id else "added"
    return RedirectResponse(f"/admin/pricing/codes/{saved}?done={done}", status_code=303)


@admin_page
async def coupon_archive(request: Request, admin: Admin) -> Response:
    coupon_id = path_id(request, "coupon_id")
    archived = (await posted_text_fields(request)).get("archived") == "1"
    if coupon_id is None or not await set_coupon_archived(
        request.app.state.db, admin.studio.id, coupon_id, archived
    ):
        return not_found(request, admin, _("There is no code with that number in your studio."))
    done = "archived" if archived else "unarchived"
    return RedirectResponse(f"/admin/pricing/codes/{coupon_id}?done={done}", status_code=303)


# Tax rates ----------------------------------------------------------------------------


async def _tax_form(
    request: Request,
    admin: Admin,
    rate_id: int | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return admin_render(
        request,
        "admin/tax_rate.html",
        {
            **admin_context(admin),
            "title": values.get("name") or _("New tax rate"),
            "rate_id": rate_id,
            "values": values,
            "errors": errors,
            "minis": await _minis(request, admin),
            "addons": await studio_addon_choices(request.app.state.db, admin.studio.id),
            "flash": _flash(request),
        },
        session=admin.session,
        status_code=status_code,
    )


@admin_page
async def tax_rate_page(request: Request, admin: Admin) -> Response:
    db = request.app.state.db
    rate_id = None
    if "rate_id" in request.path_params:
        rate_id = path_id(request, "rate_id")
        rate = None if rate_id is None else await studio_tax_rate(db, admin.studio.id, rate_id)
        if rate is None:
            return not_found(
                request, admin, _("There is no tax rate with that number in your studio.")
            )
        minis, extras = await tax_rate_targets(db, rate.id)
        stored = {
            "name": rate.name,
            "rate": percent_input(rate.rate_ppm),
            "inclusive": "1" if rate.inclusive else "",
            "mini_scope": "all" if rate.all_minis else "some",
            "addon_scope": "all" if rate.all_addons else ("some" if extras else "none"),
            "archived": "1" if rate.archived else "",
        }
        stored |= {f"mini_{i}": "1" for i in minis} | {f"addon_{i}": "1" for i in extras}
    else:
        stored = {"mini_scope": "all", "addon_scope": "all"}
    if request.method == "GET":
        return await _tax_form(request, admin, rate_id, stored, {})
    form = await posted_text_fields(request)
    mini_ids = {m.mini.id for m in await _minis(request, admin)}
    addon_ids = {a["id"] for a in await studio_addon_choices(db, admin.studio.id)}
    try:
        values, minis_chosen, addons_chosen = check_tax_rate(form, mini_ids, addon_ids)
    except InvalidDetails as exc:
        return await _tax_form(request, admin, rate_id, form, exc.errors, 400)
    saved = await save_tax_rate(db, admin.studio.id, values, minis_chosen, addons_chosen, rate_id)
    done = "saved" if rate_id else "added"
    return RedirectResponse(f"/admin/pricing/taxes/{saved}?done={done}", status_code=303)


@admin_page
async def tax_rate_archive(request: Request, admin: Admin) -> Response:
    rate_id = path_id(request, "rate_id")
    archived = (await posted_text_fields(request)).get("archived") == "1"
    if rate_id is None or not await set_tax_rate_archived(
        request.app.state.db, admin.studio.id, rate_id, archived
    ):
        return not_found(request, admin, _("There is no tax rate with that number in your studio."))
    done = "archived" if archived else "unarchived"
    return RedirectResponse(f"/admin/pricing/taxes/{rate_id}?done={done}", status_code=303)


# Add-ons ------------------------------------------------------------------------------


async def _mini(request: Request, admin: Admin) -> MiniSession | None:
    mini_id = path_id(request, "mini_id")
    return (
        None
        if mini_id is None
        else await studio_mini(request.app.state.db, admin.studio.id, mini_id)
    )


async def _addons_page(
    request: Request,
    admin: Admin,
    mini: MiniSession,
    addon_id: int | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return admin_render(
        request,
        "admin/addons.html",
        {
            **admin_context(admin),
            "title": _("Add-ons · %(title)s") % {"title": mini.title},
            "mini": mini,
            "addons": await addons_of(request.app.state.db, mini.id, archived=True),
            "addon_id": addon_id,
            "values": values,
            "errors": errors,
            "currency": admin.studio.currency,
            "flash": _flash(request),
        },
        session=admin.session,
        status_code=status_code,
    )


@admin_page
async def addons_page(request: Request, admin: Admin) -> Response:
    """The mini session's add-ons, and the form for one (new, or ``?edit=<id>``'s)."""
    mini = await _mini(request, admin)
    if mini is None:
        return not_found(request, admin)
    db = request.app.state.db
    addon_id: int | None = None
    addon = None
    if "addon_id" in request.path_params:
        addon_id = path_id(request, "addon_id")
        addon = None if addon_id is None else await studio_addon(db, admin.studio.id, addon_id)
        if addon is None or addon.mini_session_id != mini.id:
            return not_found(request, admin, _("There is no add-on with that number here."))
    if request.method == "GET":
        values = {"max_quantity": "1"}
        if addon is not None:
            values = {
                "name": addon.name,
                "description": addon.description,
                "image_url": addon.image_url,
                "price": money_input(addon.price_minor, admin.studio.currency),
                "max_quantity": str(addon.max_quantity),
                "stock": "" if addon.stock is None else str(addon.stock),
            }
        return await _addons_page(request, admin, mini, addon_id, values, {})
    form = await posted_text_fields(request)
    try:
        values_in = check_addon(form, admin.studio.currency, addon.taken if addon else 0)
    except InvalidDetails as exc:
        return await _addons_page(request, admin, mini, addon_id, form, exc.errors, 400)
    await save_addon(db, mini, values_in, addon_id)
    return RedirectResponse(
        f"/admin/minis/{mini.id}/addons?done={'saved' if addon_id else 'added'}", status_code=303
    )


@admin_page
async def addon_archive(request: Request, admin: Admin) -> Response:
    mini = await _mini(request, admin)
    addon_id = path_id(request, "addon_id")
    archived = (await posted_text_fields(request)).get("archived") == "1"
    if (
        mini is None
        or addon_id is None
        or not await set_addon_archived(request.app.state.db, mini, addon_id, archived)
    ):
        return not_found(request, admin, _("There is no add-on with that number here."))
    done = "archived" if archived else "unarchived"
    return RedirectResponse(f"/admin/minis/{mini.id}/addons?done={done}", status_code=303)


routes: list[BaseRoute] = [
    Route("/admin/pricing", pricing_page),
    Route("/admin/pricing/codes/new", coupon_page, methods=["GET", "POST"]),
    Route("/admin/pricing/codes/{coupon_id:id}", coupon_page, methods=["GET", "POST"]),
    Route("/admin/pricing/codes/{coupon_id:id}/archive", coupon_archive, methods=["POST"]),
    Route("/admin/pricing/taxes/new", tax_rate_page, methods=["GET", "POST"]),
    Route("/admin/pricing/taxes/{rate_id:id}", tax_rate_page, methods=["GET", "POST"]),
    Route("/admin/pricing/taxes/{rate_id:id}/archive", tax_rate_archive, methods=["POST"]),
    Route("/admin/minis/{mini_id:id}/addons", addons_page, methods=["GET", "POST"]),
    Route("/admin/minis/{mini_id:id}/addons/{addon_id:id}", addons_page, methods=["GET", "POST"]),
    Route(
        "/admin/minis/{mini_id:id}/addons/{addon_id:id}/archive", addon_archive, methods=["POST"]
    ),
]
