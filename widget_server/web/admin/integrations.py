"""``/admin/integrations``: API keys (made, shown once, revoked) and webhook endpoints (added,
paused, resumed, removed), with each endpoint's delivery log and "Send again"."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.webhook_events import EVENT_TYPES
from ...db.webhook_outbox import attempts_of, deliveries_of_endpoint, send_again
from ...i18n import gettext as _
from ...i18n import lazy_gettext
from ...studio.analytics import set_report_conversions
from ...studio.api_keys import ACCESS_LEVELS, check_new_key, create_key, revoke_key, studio_keys
from ...studio.webhooks import (
    Endpoint,
    check_endpoint,
    create_endpoint,
    delete_endpoint,
    pause_endpoint,
    resume_endpoint,
    studio_endpoint,
    studio_endpoints,
)
from .auth import Admin, admin_context, admin_page
from .forms import not_found, path_id, posted_text_fields, text_list
from .new_key_reveal import COOKIE, forget, hand_over, take
from .pages import admin_render

DONE = {
    "key_made": lazy_gettext(
        "Your new key was shown once, when it was made. If you didn't copy it, revoke it "
        "and make another."
    ),
    "revoked": lazy_gettext("Key revoked: requests with it are refused from now on."),
    "added": lazy_gettext("Endpoint added. Copy its signing secret to your receiver."),
    "paused": lazy_gettext("Paused: nothing is sent until you resume. Events wait, in order."),
    "resumed": lazy_gettext("Resumed: waiting events go out now, in order."),
    "deleted": lazy_gettext("Endpoint removed: nothing more is sent to it."),
    "resent": lazy_gettext("The delivery is on its way again."),
    "analytics_on": lazy_gettext(
        "Bookings made through your widget are now reported to your analytics."
    ),
    "analytics_off": lazy_gettext("Bookings are no longer reported to your site's analytics."),
}
NOT_FOUND = lazy_gettext("There is no webhook endpoint with that number in your studio.")


async def _page(
    request: Request,
    admin: Admin,
    *,
    new_key: str | None = None,
    key_values: dict[str, str] | None = None,
    key_errors: dict[str, str] | None = None,
    hook_values: dict[str, Any] | None = None,
    hook_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    db = request.app.state.db
    return admin_render(
        request,
        "admin/integrations.html",
        {
            **admin_context(admin),
            "title": _("Integrations"),
            "keys": await studio_keys(db, admin.studio.id),
            "endpoints": await studio_endpoints(db, admin.studio.id),
            "access_levels": ACCESS_LEVELS,
            "event_types": EVENT_TYPES,
            "new_key": new_key,
            "key_values": key_values or {"name": "", "access": "read"},
            "key_errors": key_errors or {},
            "hook_values": hook_values or {"url": "", "events": list(EVENT_TYPES)},
            "hook_errors": hook_errors or {},
            "flash": "" if new_key else DONE.get(request.query_params.get("done", ""), ""),
        },
        session=admin.session,
        status_code=status_code,
    )


@admin_page
async def integrations_page(request: Request, admin: Admin) -> Response:
    handed = COOKIE in request.cookies
    key = await take(request, admin) if handed else None
    response = await _page(request, admin, new_key=key)
    if handed:
        forget(request, response)  # shown once: a reload shows it no more
    return response


@admin_page
async def new_key(request: Request, admin: Admin) -> Response:
    """POST: make a key, then redirect to the page that shows it once (new_key_reveal.py):
    reloading that page makes no second key. The page is never cached (/admin is no-store)."""
    form = await posted_text_fields(request)
    values = {"name": form.get("name", "").strip(), "access": form.get("access", "")}
    errors = check_new_key(values["name"], values["access"])
    if errors:
        return await _page(request, admin, key_values=values, key_errors=errors, status_code=422)
    made, key = await create_key(
        request.app.state.db,
        admin.studio.id,
        values["name"],
        values["access"],
        request.app.state.clock(),
    )
    response = RedirectResponse("/admin/integrations?done=key_made#new-key", status_code=303)
    hand_over(request, response, admin, made.id, key)
    return response


@admin_page
async def revoke(request: Request, admin: Admin) -> Response:
    key_id = path_id(request, "key_id")
    db, now = request.app.state.db, request.app.state.clock()
    if key_id is None or not await revoke_key(db, admin.studio.id, key_id, now):
        return not_found(request, admin, _("There is no live API key with that number."))
    return RedirectResponse("/admin/integrations?done=revoked", status_code=303)


@admin_page
async def analytics(request: Request, admin: Admin) -> Response:
    """POST: report bookings to the host page's GA4 / Meta Pixel, or stop."""
    on = (await posted_text_fields(request)).get("report_conversions") == "1"
    await set_report_conversions(request.app.state.db, admin.studio.id, on)
    done = "analytics_on" if on else "analytics_off"
    return RedirectResponse(f"/admin/integrations?done={done}#analytics", status_code=303)


@admin_page
async def new_endpoint(request: Request, admin: Admin) -> Response:
    form = await request.form()
    raw_url = form.get("url", "")
    url = raw_url.strip() if isinstance(raw_url, str) else ""
    events = text_list(form, "events")
    settings = request.app.state.settings
    errors = check_endpoint(url, events, allow_private=settings.webhooks_allow_private)
    if errors:
        values = {"url": url, "events": events}
        return await _page(request, admin, hook_values=values, hook_errors=errors, status_code=422)
    endpoint_id = await create_endpoint(
        request.app.state.db, admin.studio.id, url, events, request.app.state.clock()
    )
    return RedirectResponse(f"/admin/integrations/webhooks/{endpoint_id}?done=added", 303)


async def _endpoint(request: Request, admin: Admin) -> Endpoint | None:
    endpoint_id = path_id(request, "endpoint_id")
    if endpoint_id is None:
        return None
    return await studio_endpoint(request.app.state.db, admin.studio.id, endpoint_id)


@admin_page
async def endpoint_page(request: Request, admin: Admin) -> Response:
    endpoint = await _endpoint(request, admin)
    if endpoint is None:
        return not_found(request, admin, str(NOT_FOUND))
    db = request.app.state.db
    deliveries = await deliveries_of_endpoint(db, endpoint.id)
    return admin_render(
        request,
        "admin/webhook.html",
        {
            **admin_context(admin),
            "title": _("Webhook endpoint"),
            "endpoint": endpoint,
            "event_types": EVENT_TYPES,
            "deliveries": deliveries,
            "attempts": await attempts_of(db, [d.id for d in deliveries]),
            "flash": DONE.get(request.query_params.get("done", ""), ""),
        },
        session=admin.session,
    )


def _endpoint_action(action: str) -> Any:
    @admin_page
    async def act(request: Request, admin: Admin) -> Response:
        endpoint = await _endpoint(request, admin)
        if endpoint is None:
            return not_found(request, admin, str(NOT_FOUND))
        db, studio_id = request.app.state.db, admin.studio.id
        if action == "pause":
            await pause_endpoint(db, studio_id, endpoint.id)
        elif action == "resume":
            await resume_endpoint(db, studio_id, endpoint.id)
        else:
            await delete_endpoint(db, studio_id, endpoint.id, request.app.state.clock())
            return RedirectResponse("/admin/integrations?done=deleted", status_code=303)
        done = "paused" if action == "pause" else "resumed"
        return RedirectResponse(f"/admin/integrations/webhooks/{endpoint.id}?done={done}", 303)

    return act


@admin_page
async def resend(request: Request, admin: Admin) -> Response:
    endpoint = await _endpoint(request, admin)
    delivery_id = path_id(request, "delivery_id")
    if endpoint is None or delivery_id is None:
        return not_found(request, admin, str(NOT_FOUND))
    db, now = request.app.state.db, request.app.state.clock()
    if not await send_again(db, admin.studio.id, delivery_id, now):
        return not_found(request, admin, _("That delivery is already on its way, or isn't yours."))
    return RedirectResponse(f"/admin/integrations/webhooks/{endpoint.id}?done=resent", 303)


WEBHOOK = "/admin/integrations/webhooks/{endpoint_id:id}"
routes: list[BaseRoute] = [
    Route("/admin/integrations", integrations_page),
    Route("/admin/integrations/keys", new_key, methods=["POST"]),
    Route("/admin/integrations/keys/{key_id:id}/revoke", revoke, methods=["POST"]),
    Route("/admin/integrations/webhooks", new_endpoint, methods=["POST"]),
    Route("/admin/integrations/analytics", analytics, methods=["POST"]),
    Route(WEBHOOK, endpoint_page),
    Route(WEBHOOK + "/pause", _endpoint_action("pause"), methods=["POST"]),
    Route(WEBHOOK + "/resume", _endpoint_action("resume"), methods=["POST"]),
    Route(WEBHOOK + "/delete", _endpoint_action("delete"), methods=["POST"]),
    Route(WEBHOOK + "/deliveries/{delivery_id:id}/resend", resend, methods=["POST"]),
]
