"""``/admin/minis``: the studio's mini sessions: the list, every setting, duplicate, archive.

Handlers parse the form, call booking/mini_admin.py and render; a form with mistakes
comes back with the photographer's input and a message per field (status 400).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from babel.numbers import get_currency_precision
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.catalog import MiniSession, Studio
from ...booking.contracts import PLACEHOLDERS
from ...booking.errors import InvalidDetails
from ...booking.notify_list import Audience, announcement_audience
from ...booking.questions import KINDS, Question, questions_of
from ...formatting import local
from ...i18n import LANGUAGES
from ...i18n import gettext as _
from ...studio.archive import set_mini_archived
from ...studio.day_form import DAY_LIMITS, WARNINGS
from ...studio.days import mini_days
from ...studio.form_values import money_input, percent_input
from ...studio.locations import active_locations
from ...studio.logos import InvalidLogo, Logo
from ...studio.mini_images import MAX_IMAGE_BYTES, check_image
from ...studio.mini_settings import (
    BOOKING_PROCESSES,
    DEFAULTS,
    REFUND_POLICIES,
    VISIBILITIES,
    MiniSettings,
    read_settings,
    settings_of,
)
from ...studio.minis import (
    booking_count,
    duplicate_mini,
    save_mini,
    studio_mini,
    studio_minis,
)
from ...studio.questions import form_rows, read_questions, row_count
from ...studio.sales import funnel_period, mini_sales
from ...studio.texts import field_name, other_languages, read_translations, stored_translations
from .auth import Admin, admin_context, admin_page, admin_upload_page
from .forms import not_found, path_id, text_fields, text_list
from .pages import admin_render

# Text fields of the mini session form (the picture is the one file part).
MAX_FIELD_BYTES = 64 * 1024
# The whole form: the picture, its multipart framing and the text fields.
MAX_BODY_BYTES = 3 * 1024 * 1024


def _public_url(request: Request, admin: Admin, mini: MiniSession) -> str:
    base = request.app.state.settings.base_url.rstrip("/")
    return f"{base}/{admin.studio.slug}/{mini.slug}"


def _enabled_keys(request: Request) -> list[str]:
    """The methods this server is set up to take, in their usual order."""
    return [m.key for m in request.app.state.payments.available()]


def _method_choices(request: Request, studio: Studio, current: list[str]) -> list[dict[str, Any]]:
    """Every method this server can take, plus any the mini session already lists that it
    can't (kept if left ticked, so turning Stripe on later brings it back), in offer order.
    A method the studio doesn't take (Settings) is listed with a note: clients only see it
    once the studio takes it."""
    methods = request.app.state.payments
    enabled = _enabled_keys(request)
    keys = [k for k in current if k in methods]
    keys += [k for k in enabled if k not in keys]
    taken = set(studio.method_keys)

    def note(key: str) -> str:
        if key not in enabled:
            return _("Not set up on this server: clients don't see it until it is.")
        if key not in taken:
            return _(
                "Your studio doesn't take it (see Settings): clients don't see it until it does."
            )
        return ""

    return [
        {
            "key": key,
            "label": methods[key].label,
            "summary": methods[key].summary,
            "note": note(key),
            "checked": key in current,
            "position": index + 1,
        }
        for index, key in enumerate(keys)
    ]


def _values(settings: MiniSettings, currency: str) -> dict[str, str]:
    """What the form's fields show for stored settings."""
    return {
        "title": settings.title,
        "slug": settings.slug,
        "description": settings.description,
        "image_url": settings.image_url,
        "price": money_input(settings.price_minor, currency),
        "deposit": money_input(settings.deposit_minor, currency),
        "deposit_percent": percent_input(settings.deposit_ppm),
        "party_included": str(settings.party_included),
        "party_max": str(settings.party_max),
        "extra_person": money_input(settings.extra_person_minor or None, currency),
        "visibility": settings.visibility,
        "booking_process": settings.booking_process,
        "hold_minutes": str(settings.hold_minutes),
        "min_notice_hours": str(settings.min_notice_hours),
        "allow_reschedule": "1" if settings.allow_reschedule else "",
        "allow_cancel": "1" if settings.allow_cancel else "",
        "change_cutoff_hours": str(settings.change_cutoff_hours),
        "cancel_refund_policy": settings.cancel_refund_policy,
        "reminder_hours": str(settings.reminder_hours),
        "offline_pay_hours": str(settings.offline_pay_hours),
        "claim_window_minutes": str(settings.claim_window_minutes),
        "confirmation_notice": settings.confirmation_notice,
        "terms": settings.terms,
        "contract": settings.contract,
    }


def _translation_languages(
    default_language: str, values: dict[str, str], errors: dict[str, str] | None
) -> list[dict[str, Any]]:
    """Each language the texts can be written in: its name, how many of its fields are
    filled in, and whether one has a mistake (its part of the form opens then)."""
    found = []
    for code in other_languages(default_language):
        prefix = f"tr-{code}-"
        found.append(
            {
                "code": code,
                "name": LANGUAGES[code],
                "filled": sum(1 for k, v in values.items() if k.startswith(prefix) and v.strip()),
                "has_error": any(k.startswith(prefix) for k in errors or {}),
            }
        )
    return found


def _form_page(
    request: Request,
    admin: Admin,
    *,
    mini: MiniSession | None,
    values: dict[str, str],
    methods: list[str],
    errors: dict[str, str] | None = None,
    bookings: int = 0,
    announce: Audience | None = None,
    status_code: int = 200,
    asked: Sequence[Question] = (),
) -> Response:
    default_language = admin.studio.default_language
    return admin_render(
        request,
        "admin/mini_form.html",
        {
            **admin_context(admin),
            "title": _("Edit %(title)s") % {"title": mini.title} if mini else _("New mini session"),
            "max_image_kb": MAX_IMAGE_BYTES // 1024,
            "mini": mini,
            "values": values,
            "methods": _method_choices(request, admin.studio, methods),
            "errors": errors or {},
            "bookings": bookings,
            "visibilities": VISIBILITIES,
            "processes": BOOKING_PROCESSES,
            "policies": REFUND_POLICIES,
            "currency": admin.studio.currency,
            "price_example": money_input(
                225 * 10 ** get_currency_precision(admin.studio.currency), admin.studio.currency
            ),
            "public_url": _public_url(request, admin, mini) if mini else "",
            "flash": request.query_params.get("done", ""),
            "question_rows": row_count(values),
            "question_kinds": KINDS,
            "placeholders": PLACEHOLDERS,
            "announce": announce,
            "default_language": LANGUAGES.get(default_language, default_language),
            "translation_languages": _translation_languages(default_language, values, errors),
            "translated_questions": asked,
            "field_name": field_name,
        },
        session=admin.session,
        status_code=status_code,
    )


def _ordered_methods(fields: dict[str, str], chosen: list[str]) -> list[str]:
    """The ticked methods sorted by the position chosen beside each (ties: form order)."""

    def position(item: tuple[int, str]) -> tuple[int, int]:
        index, key = item
        raw = fields.get(f"order_{key}", "").strip()
        # ASCII digits only: "²".isdigit() is true, but int("²") fails.
        return (int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else 999, index)

    return [key for _, key in sorted(enumerate(chosen), key=position)]


async def _uploaded_image(form: FormData) -> Logo | None:
    """The picture chosen in the form, None when none was; InvalidLogo when it can't be one."""
    upload = form.get("image")
    if not isinstance(upload, UploadFile) or (not upload.filename and not upload.size):
        return None
    return check_image(await upload.read(MAX_IMAGE_BYTES + 1), upload.size)


async def _submit(request: Request, admin: Admin, mini: MiniSession | None) -> Response:
    form = await request.form(max_files=1, max_part_size=MAX_FIELD_BYTES)
    fields = text_fields(form)
    image_error = ""
    try:
        image = await _uploaded_image(form)
    except InvalidLogo as exc:
        image, image_error = None, str(exc)
    methods = _ordered_methods(fields, text_list(form, "methods"))
    current = mini.method_keys if mini else []
    enabled = set(_enabled_keys(request))
    parsed, errors = read_settings(
        fields,
        methods,
        currency=admin.studio.currency,
        known_methods=enabled | {k for k in current if k in request.app.state.payments},
        # what a client could be offered: set up here and taken by the studio
        live_methods=enabled & set(admin.studio.method_keys),
    )
    asked, question_errors = read_questions(fields)
    errors |= question_errors
    db = request.app.state.db
    translations = None
    if mini is not None:
        # Questions as they stood when the form was shown: a new one gets its own
        # translations once it is saved.
        written = await questions_of(db, mini.id, as_written=True)
        translations, text_errors = read_translations(
            fields, mini_id=mini.id, asked=written, default_language=admin.studio.default_language
        )
        errors |= text_errors
    if image_error:
        errors = {**errors, "image": image_error}
    elif image is not None and errors:
        errors = {
            **errors,
            "image": _("Your picture wasn't saved yet: please choose the file again."),
        }
    if not errors:
        try:
            saved = await save_mini(
                db,
                admin.studio.id,
                mini.id if mini else None,
                parsed,
                image=image,
                now=request.app.state.clock(),
                asked=asked,
                translations=translations,
            )
        except InvalidDetails as exc:
            errors = exc.errors
        else:
            if saved is None:
                return not_found(request, admin)
            target = f"/admin/minis/{saved}" if mini is None else f"/admin/minis/{saved}/edit"
            # Just published (created public or unlisted, or out of draft): the next page
            # offers to announce it to the notify-me list.
            published = (mini is None or mini.visibility == "draft") and (
                parsed.visibility != "draft"
            )
            announce = "&announce=1" if published else ""
            return RedirectResponse(f"{target}?done=saved{announce}", status_code=303)
    return _form_page(
        request,
        admin,
        mini=mini,
        values=fields,
        methods=methods,
        errors=errors,
        bookings=await booking_count(db, mini.id) if mini else 0,
        status_code=400,
        asked=await questions_of(db, mini.id, as_written=True) if mini else [],
    )


async def announce_prompt(request: Request, admin: Admin, mini: MiniSession) -> Audience | None:
    """Who announcing ``mini`` would reach, right after the photographer published it (the
    redirect says ``announce=1``); None otherwise, or when it is no longer published."""
    if request.query_params.get("announce") != "1" or mini.archived or mini.visibility == "draft":
        return None
    return await announcement_audience(request.app.state.db, admin.studio.id, mini.id)


async def path_mini(request: Request, admin: Admin) -> MiniSession | None:
    """The studio's mini session the path names; None for another studio's or none."""
    mini_id = path_id(request, "mini_id")
    if mini_id is None:
        return None
    return await studio_mini(request.app.state.db, admin.studio.id, mini_id)


@admin_page
async def minis_page(request: Request, admin: Admin) -> Response:
    """Active mini sessions (with their visibility), then archived ones."""
    summaries = await studio_minis(request.app.state.db, admin.studio.id, request.app.state.clock())
    return admin_render(
        request,
        "admin/minis.html",
        {
            **admin_context(admin),
            "title": _("Mini sessions"),
            "active": [s for s in summaries if not s.mini.archived],
            "archived": [s for s in summaries if s.mini.archived],
            "urls": {s.mini.id: _public_url(request, admin, s.mini) for s in summaries},
            "visibilities": VISIBILITIES,
            "flash": request.query_params.get("done", ""),
        },
        session=admin.session,
    )


@admin_upload_page(max_files=1, max_part_size=MAX_FIELD_BYTES)
async def new_mini_page(request: Request, admin: Admin) -> Response:
    """GET: an empty form (a draft with the usual defaults). POST: create it."""
    if request.method == "POST":
        return await _submit(request, admin, None)
    return _form_page(
        request,
        admin,
        mini=None,
        values={**_values(DEFAULTS, admin.studio.currency), "price": ""},
        methods=DEFAULTS.payment_methods.split(),
    )


@admin_upload_page(max_files=1, max_part_size=MAX_FIELD_BYTES)
async def edit_mini_page(request: Request, admin: Admin) -> Response:
    """GET: every setting of one mini session. POST: save them."""
    mini = await path_mini(request, admin)
    if mini is None:
        return not_found(request, admin)
    if request.method == "POST":
        return await _submit(request, admin, mini)
    asked = await questions_of(request.app.state.db, mini.id, as_written=True)
    return _form_page(
        request,
        admin,
        mini=mini,
        values=_values(settings_of(mini), admin.studio.currency)
        | form_rows(asked)
        | await stored_translations(request.app.state.db, mini.id, asked),
        methods=mini.method_keys,
        bookings=await booking_count(request.app.state.db, mini.id),
        announce=await announce_prompt(request, admin, mini),
        asked=asked,
    )


async def mini_page_response(
    request: Request,
    admin: Admin,
    mini: MiniSession,
    *,
    day_values: dict[str, str] | None = None,
    day_errors: dict[str, str] | None = None,
    preview: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The mini session's page: its days and slots, and the form to add a day."""
    db = request.app.state.db
    now = request.app.state.clock()
    locations = await active_locations(db, admin.studio.id)
    today = local(now, admin.studio.timezone).date()
    return admin_render(
        request,
        "admin/mini.html",
        {
            **admin_context(admin),
            "title": mini.title,
            "mini": mini,
            "days": await mini_days(db, mini.id, now),
            "sales": await mini_sales(
                db,
                [mini.id],
                now,
                currency=admin.studio.currency,
                today=today,
                days=funnel_period(request.query_params.get("days")),
            ),
            "locations": locations,
            "day_values": day_values
            or {
                "date": today.isoformat(),
                "start_time": "09:00",
                "end_time": "12:00",
                "slot_minutes": "20",
                "gap_minutes": "5",
                "capacity": "1",
                "location": str(locations[0].id) if locations else "",
            },
            "day_errors": day_errors or {},
            "preview": preview,
            "limits": DAY_LIMITS,
            "public_url": _public_url(request, admin, mini),
            "visibilities": VISIBILITIES,
            "flash": request.query_params.get("done", ""),
            "flash_warnings": [
                WARNINGS[code] for code in request.query_params.getlist("warn") if code in WARNINGS
            ],
            "now": now,
            "announce": await announce_prompt(request, admin, mini),
        },
        session=admin.session,
        status_code=status_code,
    )


@admin_page
async def mini_page(request: Request, admin: Admin) -> Response:
    mini = await path_mini(request, admin)
    if mini is None:
        return not_found(request, admin)
    return await mini_page_response(request, admin, mini)


@admin_page
async def duplicate_mini_action(request: Request, admin: Admin) -> Response:
    """POST: a draft copy of every setting; on to its edit page."""
    mini_id = path_id(request, "mini_id")
    now = request.app.state.clock()
    copy = (
        await duplicate_mini(request.app.state.db, admin.studio.id, mini_id, now)
        if mini_id
        else None
    )
    if copy is None:
        return not_found(request, admin)
    return RedirectResponse(f"/admin/minis/{copy}/edit?done=copied", status_code=303)


@admin_page
async def archive_mini_action(request: Request, admin: Admin) -> Response:
    """POST archived=1: off the booking site and not bookable; archived=0 brings it back."""
    mini_id = path_id(request, "mini_id")
    form = await request.form()
    archived = form.get("archived") == "1"
    if mini_id is None or not await set_mini_archived(
        request.app.state.db, admin.studio.id, mini_id, archived
    ):
        return not_found(request, admin)
    done = "archived" if archived else "unarchived"
    return RedirectResponse(f"/admin/minis?done={done}", status_code=303)


routes: list[BaseRoute] = [
    Route("/admin/minis", minis_page),
    Route("/admin/minis/new", new_mini_page, methods=["GET", "POST"]),
    Route("/admin/minis/{mini_id:id}", mini_page),
    Route("/admin/minis/{mini_id:id}/edit", edit_mini_page, methods=["GET", "POST"]),
    Route("/admin/minis/{mini_id:id}/duplicate", duplicate_mini_action, methods=["POST"]),
    Route("/admin/minis/{mini_id:id}/archive", archive_mini_action, methods=["POST"]),
]
