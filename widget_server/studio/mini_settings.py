"""Every setting of a mini session as the dashboard edits it, and the checks on them.

``read_settings`` turns what the photographer typed into ``MiniSettings`` or a message
per field. It checks everything the database's CHECK constraints check (and more), so
a constraint is never what catches a typing mistake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from ..booking.catalog import MiniSession
from ..booking.contracts import contract_problem
from ..booking.slugs import is_valid_slug
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from .form_values import (
    is_web_address,
    parse_money,
    parse_percent,
    parse_whole,
    unstorable_fields,
)

VISIBILITIES = {
    "public": lazy_gettext("Public: listed on your booking site"),
    "unlisted": lazy_gettext("Unlisted: only people with the link (or your embed) can book"),
    "draft": lazy_gettext("Draft: nobody can see or book it yet"),
}
BOOKING_PROCESSES = {
    "quote": lazy_gettext(
        "Quote, then payment: the client accepts the price, then pays the deposit or in full"
    ),
    "free": lazy_gettext("Free: booked as soon as the client sends their details"),
}
REFUND_POLICIES = {
    "keep_deposit": lazy_gettext("Refund all but the deposit"),
    "full": lazy_gettext("Refund everything paid"),
    "none": lazy_gettext("No refund"),
}
MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_URL = 2_000
UPLOADED_IMAGE = re.compile(r"^/images/[0-9a-f]{64}\.(png|jpg|webp|gif)$")
MAX_HOURS = 8_760  # a year
MAX_PARTY = 50  # CHECK party_range


@dataclass(frozen=True)
class MiniSettings:
    title: str
    slug: str  # "" = derive from the title
    description: str
    image_url: str
    price_minor: int
    deposit_minor: int | None
    visibility: str
    booking_process: str
    payment_methods: str  # space-separated keys, in the order offered
    hold_minutes: int
    min_notice_hours: int
    allow_reschedule: bool
    allow_cancel: bool
    change_cutoff_hours: int
    cancel_refund_policy: str
    reminder_hours: int
    offline_pay_hours: int
    claim_window_minutes: int
    confirmation_notice: str
    terms: str
    contract: str  # Markdown with placeholders; "" = no contract to sign
    party_included: int = 1
    party_max: int = 1
    extra_person_minor: int = 0
    deposit_ppm: int | None = None

    def columns(self) -> dict[str, object]:
        return asdict(self)


def settings_of(mini: MiniSession) -> MiniSettings:
    return MiniSettings(**{name: getattr(mini, name) for name in MiniSettings.__dataclass_fields__})


DEFAULTS = MiniSettings(
    title="",
    slug="",
    description="",
    image_url="",
    price_minor=0,
    deposit_minor=None,
    visibility="draft",
    booking_process="quote",
    payment_methods="offline",
    hold_minutes=15,
    min_notice_hours=2,
    allow_reschedule=True,
    allow_cancel=True,
    change_cutoff_hours=48,
    cancel_refund_policy="keep_deposit",
    reminder_hours=24,
    offline_pay_hours=72,
    claim_window_minutes=120,
    confirmation_notice="",
    terms="",
    contract="",
)


def _text(fields: Mapping[str, str], name: str, limit: int, errors: dict[str, str]) -> str:
    value = fields.get(name, "").strip()
    if len(value) > limit:
        errors[name] = _("Keep this under %(limit)s characters.") % {"limit": format(limit, ",")}
    return value


def _choice(
    fields: Mapping[str, str], name: str, options: Mapping[str, object], errors: dict[str, str]
) -> str:
    value = fields.get(name, "")
    if value not in options:
        errors[name] = _("Choose one of the options.")
        return next(iter(options))
    return value


def _whole(
    fields: Mapping[str, str], name: str, low: int, high: int, unit: str, errors: dict[str, str]
) -> int:
    try:
        return parse_whole(fields.get(name, ""), low, high, unit)
    except ValueError as exc:
        errors[name] = str(exc)
        return low


def read_settings(
    fields: Mapping[str, str],
    methods: list[str],
    *,
    currency: str,
    known_methods: set[str],
    live_methods: set[str],
) -> tuple[MiniSettings, dict[str, str]]:
    """The settings from a submitted form, and an error message per field (empty: valid).

    ``methods`` are the chosen payment method keys in the order to offer them;
    ``known_methods`` those the form may offer; ``live_methods`` those this server
    can take now (a free mini session needs none, any other at least one of these).
    """
    errors: dict[str, str] = {}
    title = _text(fields, "title", MAX_TITLE, errors)
    if not title:
        errors["title"] = _("Give the mini session a title.")
    slug = fields.get("slug", "").strip().lower()
    if slug and not is_valid_slug(slug):
        errors["slug"] = _(
            "Use lowercase letters, digits and dashes (not at the start or end), "
            "at most 64 characters."
        )
    image_url = _text(fields, "image_url", MAX_URL, errors)
    uploaded = UPLOADED_IMAGE.match(image_url)  # a picture uploaded here (studio/mini_images.py)
    if image_url and "image_url" not in errors and not (uploaded or is_web_address(image_url)):
        errors["image_url"] = _("Enter a web address starting with https://.")
    price = 0
    try:
        price = parse_money(fields.get("price", ""), currency)
    except ValueError as exc:
        errors["price"] = str(exc)
    deposit: int | None = None
    if fields.get("deposit", "").strip():
        try:
            deposit = parse_money(fields["deposit"], currency)
        except ValueError as exc:
            errors["deposit"] = str(exc)
        else:
            if deposit == 0:
                errors["deposit"] = _("Leave it empty for no deposit, or enter more than zero.")
            elif "price" not in errors and deposit > price:
                errors["deposit"] = _("The deposit can't be more than the price.")
    deposit_ppm: int | None = None
    if fields.get("deposit_percent", "").strip():
        try:
            deposit_ppm = parse_percent(fields["deposit_percent"], 1, 999_999)
        except ValueError as exc:
            errors["deposit_percent"] = str(exc)
        else:
            if deposit is not None:
                errors["deposit_percent"] = _("Give either a deposit amount or a percentage.")
    # Empty: one person, nobody extra (the form before party pricing, and the API, send none).
    party_included = 1
    if fields.get("party_included", "").strip():
        party_included = _whole(fields, "party_included", 1, MAX_PARTY, "people", errors)
    party_max = party_included
    if fields.get("party_max", "").strip():
        party_max = _whole(fields, "party_max", 1, MAX_PARTY, "people", errors)
    if party_max < party_included and "party_max" not in errors:
        errors["party_max"] = _("The most people can't be fewer than the people included.")
    extra_person = 0
    if fields.get("extra_person", "").strip():
        try:
            extra_person = parse_money(fields["extra_person"], currency)
        except ValueError as exc:
            errors["extra_person"] = str(exc)
    process = _choice(fields, "booking_process", BOOKING_PROCESSES, errors)
    chosen: list[str] = []
    for key in methods:
        if key not in known_methods:
            errors["methods"] = _("Choose from the payment methods listed.")
        elif key not in chosen:
            chosen.append(key)
    paid = process == "quote" and price > 0
    if paid and "methods" not in errors and not set(chosen) & live_methods:
        errors["methods"] = _("Choose at least one payment method clients can use.")
    settings = MiniSettings(
        title=title,
        slug=slug,
        description=_text(fields, "description", MAX_TEXT, errors),
        image_url=image_url,
        price_minor=price,
        deposit_minor=deposit,
        visibility=_choice(fields, "visibility", VISIBILITIES, errors),
        booking_process=process,
        # The column is NOT NULL and other code splits it: a free mini keeps what was chosen.
        payment_methods=" ".join(chosen),
        hold_minutes=_whole(fields, "hold_minutes", 1, 1440, "minutes", errors),
        min_notice_hours=_whole(fields, "min_notice_hours", 0, MAX_HOURS, "hours", errors),
        allow_reschedule=fields.get("allow_reschedule") == "1",
        allow_cancel=fields.get("allow_cancel") == "1",
        change_cutoff_hours=_whole(fields, "change_cutoff_hours", 0, MAX_HOURS, "hours", errors),
        cancel_refund_policy=_choice(fields, "cancel_refund_policy", REFUND_POLICIES, errors),
        reminder_hours=_whole(fields, "reminder_hours", 0, 168, "hours", errors),
        offline_pay_hours=_whole(fields, "offline_pay_hours", 0, 720, "hours", errors),
        # A form from before the setting existed keeps the default.
        claim_window_minutes=_whole(
            {"claim_window_minutes": str(DEFAULTS.claim_window_minutes), **fields},
            "claim_window_minutes",
            10,
            2880,
            "minutes",
            errors,
        ),
        confirmation_notice=_text(fields, "confirmation_notice", MAX_TEXT, errors),
        terms=_text(fields, "terms", MAX_TEXT, errors),
        contract=_text(fields, "contract", MAX_TEXT, errors),
        party_included=party_included,
        party_max=max(party_max, party_included),
        extra_person_minor=extra_person,
        deposit_ppm=deposit_ppm,
    )
    if settings.contract and "contract" not in errors:
        problem = contract_problem(settings.contract)
        if problem:
            errors["contract"] = problem
        elif not paid:
            # The client signs on the checkout, which a free session skips.
            errors["contract"] = _(
                "A contract is signed at checkout: it needs a paid session "
                "(quote, then payment, with a price above 0)."
            )
    errors |= unstorable_fields(fields)
    return settings, errors
