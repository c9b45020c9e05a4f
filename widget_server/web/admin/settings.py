"""``/admin/settings``: the studio's name, contact, time zone, currency, look, logo,
allowed embed sites and payment methods. A multipart form (the logo), read once.

The checks and the saving are in booking/studio_settings.py and booking/logos.py;
this module only reads the form and renders it back with the messages.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.catalog import Studio
from ...booking.errors import InvalidDetails
from ...i18n import LANGUAGES
from ...i18n import gettext as _
from ...studio.logos import MAX_LOGO_BYTES, InvalidLogo, Logo, check_logo
from ...studio.settings import check_settings, save_settings
from ...studio.time_zones import zone_choices
from .auth import Admin, admin_context, admin_page, admin_upload_page
from .choices import currency_choices
from .pages import admin_render

# The body the page accepts: a logo over the limit still arrives whole, so the page can
# say how big it was (BodyLimit refuses anything larger before it is read).
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_FIELD_BYTES = 64 * 1024
TEXT_FIELDS = (
    "name",
    "notify_email",
    "timezone",
    "currency",
    "brand_color",
    "allowed_origins",
    "offline_instructions",
    "default_language",
)


def _values(studio: Studio) -> dict[str, Any]:
    return {
        "name": studio.name,
        "notify_email": studio.notify_email,
        "timezone": studio.timezone,
        "currency": studio.currency,
        "brand_color": studio.brand_color,
        "allowed_origins": "\n".join(studio.allowed_origins.split()),
        "offline_instructions": studio.offline_instructions,
        "payment_methods": studio.method_keys,
        "default_language": studio.default_language,
    }


def _method_choices(request: Request) -> list[dict[str, Any]]:
    """Every method this deployment has, then the ones it could have, with how to enable them."""
    methods = request.app.state.payments
    choices = [
        {"key": m.key, "label": m.label, "summary": m.summary, "hint": ""}
        for m in methods.available()
    ]
    for method in methods.values():
        if not method.enabled and method.how_to_enable:
            choices.append(
                {
                    "key": method.key,
                    "label": method.label,
                    "summary": "",
                    "hint": method.how_to_enable,
                }
            )
    return choices


def _render(
    request: Request,
    admin: Admin,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return admin_render(
        request,
        "admin/settings.html",
        {
            **admin_context(admin),
            "title": _("Settings"),
            "values": values,
            "errors": errors or {},
            "zone_choices": zone_choices(),
            "currencies": currency_choices(),
            "currency_listed": values["currency"] in dict(currency_choices()),
            "methods": _method_choices(request),
            "languages": LANGUAGES,
            "max_logo_kb": MAX_LOGO_BYTES // 1024,
            "saved": request.query_params.get("saved") == "1",
        },
        session=admin.session,
        status_code=status_code,
    )


@admin_page
async def settings_page(request: Request, admin: Admin) -> Response:
    return _render(request, admin, _values(admin.studio))


async def _uploaded_logo(form: FormData) -> Logo | None:
    """The new logo, None when no file was chosen; InvalidLogo when it can't be one."""
    upload = form.get("logo")
    if not isinstance(upload, UploadFile) or (not upload.filename and not upload.size):
        return None
    # Read no more than the limit needs; the parser has counted the whole file's size.
    return check_logo(await upload.read(MAX_LOGO_BYTES + 1), upload.size)


@admin_upload_page(max_files=1, max_part_size=MAX_FIELD_BYTES)
async def save_settings_page(request: Request, admin: Admin) -> Response:
    """POST: check everything, save all of it or nothing, and come back to the page."""
    async with request.form(max_files=1, max_part_size=MAX_FIELD_BYTES) as form:
        text = {k: v for k in TEXT_FIELDS if isinstance(v := form.get(k, ""), str)}
        if "default_language" not in form:  # a form from before languages keeps it
            text["default_language"] = admin.studio.default_language
        chosen = [m for m in form.getlist("payment_methods") if isinstance(m, str)]
        errors: dict[str, str] = {}
        try:
            logo = await _uploaded_logo(form)
        except InvalidLogo as exc:
            errors["logo"] = str(exc)
            logo = None
        drop_logo = form.get("remove_logo") == "1"
    available = [m.key for m in request.app.state.payments.available()]
    try:
        settings = check_settings(
            text,
            chosen_methods=chosen,
            available_methods=available,
            stored_methods=admin.studio.method_keys,
        )
    except InvalidDetails as exc:
        errors = {**exc.errors, **errors}
        settings = None
    if settings is None or errors:
        if logo is not None:
            errors["logo"] = _("Your logo wasn't saved yet: please choose the file again.")
        values = {**_values(admin.studio), **text, "payment_methods": chosen}
        return _render(request, admin, values, errors=errors, status_code=400)
    await save_settings(
        request.app.state.db,
        admin.studio.id,
        settings,
        logo=logo,
        drop_logo=drop_logo,
        now=request.app.state.clock(),
    )
    return RedirectResponse("/admin/settings?saved=1", status_code=303)


routes: list[BaseRoute] = [
    Route("/admin/settings", settings_page),
    Route("/admin/settings", save_settings_page, methods=["POST"]),
]
