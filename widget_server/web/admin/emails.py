"""The studio's emails: the outbox as a list, and each email as the client or studio reads it.

Without MINIS_SMTP_URL nothing is sent, so this is where a photographer reads (and can
copy by hand) what is waiting; with it, failures show their last error. The HTML version
is served on its own, under a CSP that runs nothing and loads nothing but images.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from ...db.outbox import emails_for_studio
from ...i18n import gettext as _
from ...i18n import lazy_gettext
from ...mail.preview import EmailPreview, email_preview
from ...studio.dashboard import client_names, event_name
from .auth import Admin, admin_context, admin_page
from .forms import not_found, path_id
from .pages import admin_render

EMAIL_NAMES = {
    "booked": lazy_gettext("Confirmation to the client"),
    "new_booking": lazy_gettext("New booking, to you"),
    "rescheduled": lazy_gettext("Reschedule, to the client"),
    "rescheduled_studio": lazy_gettext("Reschedule, to you"),
    "cancelled": lazy_gettext("Cancellation, to the client"),
    "cancelled_studio": lazy_gettext("Cancellation, to you"),
    "reminder": lazy_gettext("Reminder to the client"),
    "balance_reminder": lazy_gettext("Balance reminder to the client"),
}
LISTED = 100  # the newest emails on the list; each booking's page lists all of its own
# The email's HTML, opened on its own: styles inline, images from anywhere (as a mail
# client would show them), and nothing that runs, submits or frames.
EMAIL_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox allow-popups"
)
NOT_FOUND = lazy_gettext("There is no email with that number in your studio.")


def email_name(kind: str) -> str:
    return str(EMAIL_NAMES.get(kind, event_name(kind)))


@admin_page
async def emails_page(request: Request, admin: Admin) -> Response:
    """The studio's newest emails, waiting, failed or sent."""
    emails = await emails_for_studio(
        request.app.state.db, admin.studio.id, ("pending", "failed", "sent"), limit=LISTED
    )
    return admin_render(
        request,
        "admin/emails.html",
        {
            **admin_context(admin),
            "title": _("Emails"),
            "emails": [(e, email_name(e.kind)) for e in emails],
            "clients": await client_names(
                request.app.state.db,
                admin.studio.id,
                {e.booking_id for e in emails if e.booking_id is not None},
            ),
            "listed": LISTED,
            "delivery_on": bool(request.app.state.settings.smtp_url),
        },
        session=admin.session,
    )


async def _preview(request: Request, admin: Admin) -> EmailPreview | None:
    email_id = path_id(request, "email_id")
    if email_id is None:
        return None
    return await email_preview(
        request.app.state.db,
        admin.studio.id,
        email_id,
        base_url=request.app.state.settings.base_url,
        tokens=request.app.state.tokens,
        now=request.app.state.clock(),
    )


@admin_page
async def email_page(request: Request, admin: Admin) -> Response:
    """One email: who it is to, where it stands, and its text as sent."""
    preview = await _preview(request, admin)
    if preview is None:
        return not_found(request, admin, str(NOT_FOUND))
    return admin_render(
        request,
        "admin/email.html",
        {
            **admin_context(admin),
            "title": email_name(preview.email.kind),
            "preview": preview,
            "email": preview.email,
            "rendered": preview.rendered,
        },
        session=admin.session,
    )


@admin_page
async def email_html(request: Request, admin: Admin) -> Response:
    """The HTML version, on its own page, as a mail client would show it."""
    preview = await _preview(request, admin)
    if preview is None:
        return not_found(request, admin, str(NOT_FOUND))
    if preview.rendered is None:
        return not_found(
            request,
            admin,
            _("This email can't be shown: %(problem)s.") % {"problem": preview.problem},
        )
    return HTMLResponse(preview.rendered.html, headers={"content-security-policy": EMAIL_HTML_CSP})


routes: list[BaseRoute] = [
    Route("/admin/emails", emails_page),
    Route("/admin/emails/{email_id:id}", email_page),
    Route("/admin/emails/{email_id:id}/html", email_html),
]
