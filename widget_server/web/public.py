"""The booking site: studio page, mini session page, details form."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from .. import i18n
from ..booking.answers import Answer, answer_fields, check_answers
from ..booking.bookings import live_hold_of, start_booking
from ..booking.catalog import (
    MiniSession,
    Studio,
    bookable_mini_session,
    studio_with_public_minis,
)
from ..booking.details import (
    PREFILL_KEYS,
    ClientDetails,
    clean_utm,
    region_for_timezone,
    validate_details,
)
from ..booking.drops import Access, DropState, drop_state, early_access, may_book
from ..booking.errors import InvalidDetails, NotFound, SlotUnavailable
from ..booking.handoff import PART_LABELS, Preferences
from ..booking.offers import MiniPage, mini_page_offer, studio_offers
from ..booking.questions import Question, questions_of
from ..booking.slot_form import slot_form
from ..booking.waitlist import catch_up
from ..formatting import local_date, slot_label
from ..i18n import gettext as _
from ..i18n import lazy_gettext, ngettext
from ..studio.page_views import VIA, source_of
from . import language
from .availability_cache import AvailabilityCache, FullSlot, PageRead, Subject
from .embed import EMBED_PREFIX, embed_context, event_detail
from .forms import parse_id, posted_plain_email, read_form_lists
from .pages import carried_params, error_page, render
from .rate_limits import Refusal
from .urls import mini_url, page_url

UNAVAILABLE_MESSAGES = {
    "taken": lazy_gettext("Someone else just booked this time. Please choose another one."),
    "full": lazy_gettext("This time is fully booked. Please choose another one."),
    "past": lazy_gettext("This time has already passed. Please choose another one."),
    "too_soon": lazy_gettext("This time is too close to book online. Please choose a later one."),
    "blocked": lazy_gettext("This time isn't available. Please choose another one."),
    "extras": lazy_gettext(
        "Your hold ran out and something in your quote (an add-on or a code) is no "
        "longer available. Please choose your time again."
    ),
}


async def studio_page(request: Request) -> Response:
    found = await studio_with_public_minis(
        request.app.state.db,
        request.path_params["studio"],
        # The language settled before the mini sessions' texts are read in it.
        speak_for=lambda studio: language.for_studio(request, studio),
    )
    if found is None:
        raise HTTPException(404)
    studio, minis = found
    now = request.app.state.clock()
    offers = await studio_offers(request.app.state.db, studio, now, minis)
    return render(request, "public/studio.html", {"offers": offers, "now": now}, studio=studio)


async def _page_subject(request: Request) -> tuple[Studio, MiniSession]:
    """The mini session page's studio and mini session: from this process's very short
    cache (web/availability_cache.py), or read now (404 if not open to clients)."""
    cached = _cached_subject(request, request.app.state.clock())
    return cached if cached is not None else await _read_subject(request)


async def _read_subject(request: Request) -> tuple[Studio, MiniSession]:
    """The studio and mini session read now (404 if not open to clients), and kept in the
    cache for the pages (and the quick refusals) of the next moment."""
    cache: AvailabilityCache = request.app.state.availability
    now = request.app.state.clock()
    started, began = cache.changes, cache.monotonic()
    studio, mini = await _mini_or_404(request)
    read = Subject(studio, {}, now=now, read_at=began, generation=started)
    slugs = (request.path_params["studio"], request.path_params["mini"])
    cache.put_subject(slugs, i18n.current_language(), mini, read)
    return studio, mini


def _cached_subject(request: Request, now: datetime) -> tuple[Studio, MiniSession] | None:
    cache: AvailabilityCache = request.app.state.availability
    slugs = (request.path_params["studio"], request.path_params["mini"])
    studio = cache.studio_of(slugs, now)
    if studio is None:
        return None
    # The language settled as a reading would settle it, from the studio.
    language.for_studio(request, studio)
    mini = cache.mini_of(slugs, i18n.current_language(), now)
    return None if mini is None else (studio, mini)


async def _mini_or_404(request: Request) -> tuple[Studio, MiniSession]:
    found = await bookable_mini_session(
        request.app.state.db,
        request.path_params["studio"],
        request.path_params["mini"],
        # The language settled before the mini session's texts are read in it.
        speak_for=lambda studio: language.for_studio(request, studio),
    )
    if found is None:
        raise HTTPException(404)
    return found


def count_view(request: Request, studio: Studio, mini: MiniSession, stage: str) -> None:
    """One view of a mini session's page, for the studio's funnel: counted in memory (no
    write here, no cookie, nothing about the person), saved in batches. HEAD requests
    (link checkers, monitors) are not views."""
    if request.method != "GET":
        return
    request.app.state.views.count(
        mini_id=mini.id,
        day=local_date(request.app.state.clock(), studio.timezone),
        channel=channel_of(request),
        source=source_of(request.query_params.get("utm_source")),
        stage=stage,
    )


def channel_of(request: Request) -> str:
    return "embed" if request.url.path.startswith(EMBED_PREFIX + "/") else "hosted"


async def mini_page(request: Request) -> Response:
    studio, mini = await _page_subject(request)
    count_view(request, studio, mini, "view")
    now = request.app.state.clock()
    drop = drop_state(mini, now, _access(request, mini))
    page = await _availability(request, mini, parse_id(request.query_params.get("day")), now)
    return render(
        request,
        "public/mini.html",
        {
            "mini": mini,
            "offer": page.offer,
            "drop": drop,
            "selected": page.selected,
            "part_labels": PART_LABELS,
            "waitlist_chosen": Preferences(
                days=frozenset({page.selected.day.id})
                if page.selected and not page.offer.sold_out
                else frozenset()
            ),
        },
        studio=studio,
    )


async def _availability(
    request: Request, mini: MiniSession, wanted: int | None, now: datetime
) -> MiniPage:
    """The days and times the mini session's page shows: from this process's very short
    cache (web/availability_cache.py), or read now."""
    cache: AvailabilityCache = request.app.state.availability
    key = (mini.id, wanted, mini.min_notice_hours)
    found = cache.get(key, now)
    if found is not None:
        return found.page
    started, began = cache.generation, cache.monotonic()
    db = request.app.state.db
    page = await mini_page_offer(db, mini, now, wanted)
    if page.anyone_waiting:
        # Lapsed offers are handed on, and open spots offered, before anyone sees the
        # times: then they are read again (the reading above says whether anyone waits).
        await catch_up(db, mini, now)
        page = await mini_page_offer(db, mini, now, wanted)
    cache.put(key, PageRead(page, now=now, read_at=began, generation=started))
    return page


def _access(request: Request, mini: MiniSession) -> Access | None:
    """Early access the URL's ``early`` grants (a scheduled drop's secret or personal link)."""
    return early_access(request.app.state.tokens, mini, request.query_params.get("early"))


def not_open_yet(request: Request, studio: Studio, mini: MiniSession, state: DropState) -> Response:
    """403: a scheduled drop this client may not book yet (or this email may not, early)."""
    if state.open:
        message = _(
            "This early-access link is for another email address. Please use the email "
            "it was sent to, or come back when booking opens to everyone."
        )
    elif state.opens_at:
        when = slot_label(state.opens_at, studio.timezone)
        message = _("%(title)s opens for booking %(when)s. Please come back then.") % {
            "title": mini.title,
            "when": when,
        }
    else:
        message = _("%(title)s opens for booking soon. Please come back then.") % {
            "title": mini.title
        }
    return error_page(
        request,
        403,
        message,
        studio=studio,
        title=_("Booking hasn't opened yet") if not state.open else _("Early access is personal"),
        back_url=mini_url(studio.slug, mini.slug),
        back_label=_("Back to %(title)s") % {"title": mini.title},
    )


def slot_unavailable(request: Request, studio: Studio, mini: MiniSession, reason: str) -> Response:
    back = mini_url(studio.slug, mini.slug)
    if request.url.path.startswith(EMBED_PREFIX + "/"):
        carried = carried_params(request, embed_context(request, studio))
        back = EMBED_PREFIX + back + (f"?{urlencode(carried)}" if carried else "")
    return error_page(
        request,
        409,
        str(UNAVAILABLE_MESSAGES.get(reason, UNAVAILABLE_MESSAGES["blocked"])),
        studio=studio,
        title=_("This time was just taken")
        if reason == "taken"
        else _("That time isn't available"),
        back_url=back,
        back_label=_("Choose another time"),
    )


def not_taking_payments(request: Request, studio: Studio) -> Response:
    """No payment method is left for this session (the studio switched them off, or this
    deployment lacks them): say whom to ask instead of failing."""
    return error_page(
        request,
        409,
        _(
            "Online booking isn't available for this session right now: %(name)s "
            "isn't taking payments online for it. Please contact %(name)s to book."
        )
        % {"name": studio.name},
        studio=studio,
        title=_("Online booking unavailable"),
    )


def really_framed(request: Request) -> bool:
    """Whether the browser says this form was sent from inside a frame.

    The embed's ``parent`` and ``page`` are only what the URL claims; a link to the
    widget's URL opened as a page of its own could name any site. Browsers send
    ``Sec-Fetch-Dest`` themselves and pages can't forge it, so "Back to <site>" is
    remembered only for a form really sent from an iframe (a site that may embed the
    studio: frame-ancestors and the parent check see to that).
    """
    return request.headers.get("sec-fetch-dest") == "iframe"


def _wait(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 2:
        return _("a minute")
    if minutes < 55:
        return _("about %(count)d minutes") % {"count": minutes}
    hours = round(minutes / 60)
    return ngettext("about an hour", "about %(num)d hours", hours) % {"num": hours}


def too_many_holds(
    request: Request, studio: Studio, mini: MiniSession, refusal: Refusal
) -> Response:
    """429: more new bookings from this address or email than a person makes."""
    response = error_page(
        request,
        429,
        _(
            "Several bookings were started from here in a short time, so we've paused new "
            "ones for a little while. Please try again in %(wait)s. If you already booked, "
            "your confirmation email has the link to your booking."
        )
        % {"wait": _wait(refusal.retry_after)},
        studio=studio,
        title=_("Please wait a moment"),
        back_url=mini_url(studio.slug, mini.slug),
        back_label=_("Back to the times"),
    )
    response.headers["Retry-After"] = str(refusal.retry_after)
    return response


def read_party_size(mini: MiniSession, raw: str) -> int:
    """The party size as typed (1 when the mini session doesn't ask); InvalidDetails when
    it isn't a whole number. start_booking checks the range."""
    text = raw.strip()
    if not mini.asks_party_size or not text:
        return mini.default_party_size
    if not text.isascii() or not text.isdigit() or len(text) > 3:
        raise InvalidDetails(
            {"party_size": _("Choose between 1 and %(most)d people.") % {"most": mini.party_max}}
        )
    return int(text)


def read_details(
    mini: MiniSession, values: dict[str, str], timezone: str
) -> tuple[int, ClientDetails]:
    """The party size and the client's details, or one InvalidDetails with every error."""
    errors: dict[str, str] = {}
    party_size = 1
    try:
        party_size = read_party_size(mini, values["party_size"])
        if not 1 <= party_size <= mini.party_max:
            raise InvalidDetails(
                {
                    "party_size": _("Choose between 1 and %(most)d people.")
                    % {"most": mini.party_max}
                }
            )
    except InvalidDetails as exc:
        errors.update(exc.errors)
    try:
        details = validate_details(
            values["name"],
            values["email"],
            values["phone"],
            default_region=region_for_timezone(timezone),
        )
    except InvalidDetails as exc:
        raise InvalidDetails({**exc.errors, **errors}) from exc
    if errors:
        raise InvalidDetails(errors)
    # The page's language is the client's: stored on the lead for their later pages and emails.
    return party_size, replace(details, language=i18n.current_language())


def _details_and_answers(
    mini: MiniSession,
    values: dict[str, str],
    asked: list[Question],
    lists: dict[str, list[str]],
    timezone: str,
) -> tuple[int, ClientDetails, list[Answer]]:
    """The party size, the client's details and answers, or InvalidDetails with every
    field's message at once (details first, then the questions in order, as the form
    shows them)."""
    errors: dict[str, str] = {}
    party_size = 1
    details: ClientDetails | None = None
    given: list[Answer] = []
    try:
        party_size, details = read_details(mini, values, timezone)
    except InvalidDetails as exc:
        errors |= exc.errors
    try:
        given = check_answers(asked, lists)
    except InvalidDetails as exc:
        errors |= exc.errors
    if errors or details is None:
        raise InvalidDetails(errors)
    return party_size, details, given


async def book_page(request: Request) -> Response:
    cache: AvailabilityCache = request.app.state.availability
    changes, began = cache.changes, cache.monotonic()
    if request.method == "POST":
        refused = await _refuse_a_known_full_time(request)
        if refused is not None:
            return refused
    # Read afresh: the form and the hold never use a cached studio or mini session.
    studio, mini = await _read_subject(request)
    db = request.app.state.db
    now = request.app.state.clock()
    slot_id = parse_id(request.query_params.get("slot"))
    if slot_id is None:
        raise HTTPException(404)
    # What a request that finds the time full keeps for the next POSTs (_refuse_…).
    seen_full = FullSlot(mini.id, now=now, read_at=began, generation=changes)
    # A scheduled drop: decided with this request's one ``now``, the one the booking uses.
    access = _access(request, mini)
    drop = drop_state(mini, now, access)
    if not drop.open:
        return not_open_yet(request, studio, mini, drop)
    try:
        # The slot, its location, and whether there are questions or taxes: one query.
        found = await slot_form(db, studio.id, mini, slot_id, now)
    except NotFound as exc:
        raise HTTPException(404) from exc
    slot, location = found.slot, found.location
    if not slot.bookable:
        cache.saw_full(slot.id, seen_full if slot.unavailable_reason == "full" else None)
    if request.method == "GET" and not slot.bookable:
        return slot_unavailable(request, studio, mini, slot.unavailable_reason or "blocked")
    if not mini.is_free and not request.app.state.payments.offered(studio, mini):
        return not_taking_payments(request, studio)
    asked = await questions_of(db, mini.id) if found.asks else []
    context = {"mini": mini, "slot": slot, "location": location, "errors": {}, "questions": asked}

    if request.method == "GET":
        values = {k: request.query_params.get(k, "")[:200] for k in PREFILL_KEYS}
        utm = clean_utm(dict(request.query_params))
        detail = event_detail(mini, slot.starts_at, location.name)
        count_view(request, studio, mini, "slot")
        return render(
            request,
            "public/book.html",
            {**context, "values": values, "answers": {}, "utm": utm, "event_detail": detail},
            studio=studio,
        )

    embed = embed_context(request, studio)
    lists = await read_form_lists(request, answer_fields(asked))
    form = {key: found[0] for key, found in lists.items()}
    values = {k: form.get(k, "") for k in ("name", "email", "phone", "party_size")}
    answer_values = {q.field: lists.get(q.field, []) for q in asked}
    utm = clean_utm(form)
    try:
        party_size, details, given = _details_and_answers(
            mini, values, asked, lists, location.timezone
        )
        if not may_book(drop, access, details.email):
            return not_open_yet(request, studio, mini, drop)
        address = request.client.host if request.client else ""
        refusal = await request.app.state.hold_limiter.attempt(address, details.email)
        if refusal is not None:
            return too_many_holds(request, studio, mini, refusal)
        started = await start_booking(
            db,
            studio=studio,
            mini=mini,
            slot=slot,
            location=location,
            details=details,
            # Where the client came through (hosted page or embed), for the studio's funnel.
            utm={**utm, VIA: channel_of(request)},
            now=now,
            return_url=embed.page if embed and really_framed(request) else "",
            answers=given,
            party_size=party_size,
            taxed=found.taxed,
        )
    except InvalidDetails as exc:
        return render(
            request,
            "public/book.html",
            {
                **context,
                "values": values,
                "answers": answer_values,
                "utm": utm,
                "errors": exc.errors,
            },
            status_code=422,
            studio=studio,
        )
    except SlotUnavailable as exc:
        cache.saw_full(slot.id, seen_full if exc.reason == "taken" else None)
        return slot_unavailable(request, studio, mini, exc.reason)
    # On to the checkout, or the confirmation of a free session booked just now; inside the
    # widget when the client is in it (only a provider's own page leaves it).
    if started.status == "booked":
        return to_booking_page(request, started.public_id, "", done="booked")
    # Inside the widget the checkout tells the host page of the new lead (``from``).
    params = {"from": "details"} if embed is not None else {}
    return to_booking_page(request, started.public_id, "quote", **params)


async def _refuse_a_known_full_time(request: Request) -> Response | None:
    """The storm's quick answer: a POST for a time a request of this process found full
    within the availability cache's window is refused with no studio, mini session or slot
    read and no details checked; only the client's own live hold is looked up (posting
    again for the time one holds must not be refused: the full path keeps it). None: the
    full path decides (nothing cached, a drop not open, an email it must normalise)."""
    slot_id = parse_id(request.query_params.get("slot"))
    now = request.app.state.clock()
    cached = _cached_subject(request, now)
    if slot_id is None or cached is None:
        return None
    studio, mini = cached
    if not request.app.state.availability.known_full(slot_id, mini.id, now):
        return None
    if not drop_state(mini, now, _access(request, mini)).open:
        return None
    if not mini.books_on_submit:  # a free session books at once: nobody holds it
        email = await posted_plain_email(request)
        if email is None or await live_hold_of(request.app.state.db, mini.id, email, now):
            return None
    return slot_unavailable(request, studio, mini, "taken")


def to_booking_page(request: Request, public_id: str, page: str, **params: str) -> Response:
    return RedirectResponse(page_url(request, public_id, page, **params), status_code=303)


# Last among the app's routes: a studio's slug is any first path segment not taken above
# (booking.slugs reserves those).
routes: list[BaseRoute] = [
    Route("/embed/{studio}", studio_page),
    Route("/embed/{studio}/{mini}", mini_page),
    Route("/embed/{studio}/{mini}/book", book_page, methods=["GET", "POST"]),
    Route("/{studio}", studio_page),
    Route("/{studio}/{mini}", mini_page),
    Route("/{studio}/{mini}/book", book_page, methods=["GET", "POST"]),
]
