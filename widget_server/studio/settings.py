"""The studio's own settings: checking what the photographer typed, and saving it.

Every field is checked by the library that knows it (email-validator, zoneinfo, Babel)
and every problem is reported per field at once. Nothing is saved unless all of it is
valid; the logo (booking/logos.py) is saved in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.numbers import list_currencies
from databases import Database
from email_validator import EmailNotValidError, validate_email

from ..booking.errors import InvalidDetails
from ..db.tables import studios
from ..db.transactions import write_transaction
from ..formatting import HEX_COLOR
from ..i18n import LANGUAGES
from ..i18n import gettext as _
from .form_values import unstorable_fields
from .logos import Logo, remove_logo, replace_logo
from .origins import InvalidOrigins, parse_origins
from .time_zones import is_time_zone, zone_from_input

MAX_NAME = 200
MAX_EMAIL = 254
MAX_INSTRUCTIONS = 2000
MAX_ORIGINS_TEXT = 10_000


@dataclass(frozen=True)
class StudioSettings:
    """Valid settings, ready to store."""

    name: str
    notify_email: str
    timezone: str
    currency: str
    brand_color: str  # #rrggbb, lowercase
    allowed_origins: str  # space-separated origins, as web/embed.py reads them
    payment_methods: str  # space-separated keys
    offline_instructions: str
    default_language: str = "en"  # a key of i18n.LANGUAGES


def choose_methods(chosen: list[str], available: list[str], stored: list[str]) -> list[str]:
    """The studio's methods after the form: the ticked ones among those this deployment
    offers, plus any it had that are unavailable here (e.g. Stripe without its key), which
    the form could not show. Kept in ``available`` order, unavailable ones after."""
    ticked = [key for key in available if key in chosen]
    if not ticked:
        raise ValueError(_("Choose at least one way for clients to pay."))
    return ticked + [key for key in stored if key not in available]


def check_settings(
    form: dict[str, str],
    *,
    chosen_methods: list[str],
    available_methods: list[str],
    stored_methods: list[str],
) -> StudioSettings:
    """The form's values as settings, or InvalidDetails with a message for each bad field."""
    errors: dict[str, str] = {}

    name = " ".join(form.get("name", "").split())
    if not name:
        errors["name"] = _("Please enter your studio's name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("Please keep the name under %(max_name)s characters.") % {
            "max_name": MAX_NAME
        }

    email = form.get("notify_email", "").strip()
    if not email:
        errors["notify_email"] = _("Please enter the address booking notifications go to.")
    elif len(email) > MAX_EMAIL:
        errors["notify_email"] = _("That email address is too long.")
    else:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["notify_email"] = _("Please enter a valid email address, like you@example.com.")

    timezone = zone_from_input(form.get("timezone", ""))
    if not is_time_zone(timezone):
        errors["timezone"] = _("Please choose a time zone from the list.")

    currency = form.get("currency", "").strip().upper()
    if currency not in list_currencies():
        errors["currency"] = _("Please choose a currency from the list.")

    color = form.get("brand_color", "").strip()
    if not HEX_COLOR.match(color):
        errors["brand_color"] = _("Please give a colour like #3b5bdb (# and six hex digits).")

    origins_text = form.get("allowed_origins", "")
    origins: list[str] = []
    if len(origins_text) > MAX_ORIGINS_TEXT:
        errors["allowed_origins"] = _("That is too much text: put one website address per line.")
    else:
        try:
            origins = parse_origins(origins_text)
        except InvalidOrigins as exc:
            errors["allowed_origins"] = " ".join(
                _("Line %(n)s: %(why)s.") % {"n": n, "why": why}
                if n
                else _("Please list %(why)s.") % {"why": why}
                for n, why in exc.problems.items()
            )

    try:
        methods = choose_methods(chosen_methods, available_methods, stored_methods)
    except ValueError as exc:
        errors["payment_methods"] = str(exc)
        methods = []

    instructions = form.get("offline_instructions", "").strip().replace("\r\n", "\n")
    if len(instructions) > MAX_INSTRUCTIONS:
        errors["offline_instructions"] = _(
            "Please keep the instructions under %(max_instructions)s characters (they are %(len)s)."
        ) % {"max_instructions": MAX_INSTRUCTIONS, "len": len(instructions)}

    language = form.get("default_language", "")
    if language not in LANGUAGES:
        errors["default_language"] = _("Please choose a language from the list.")

    errors |= unstorable_fields(form)
    if errors:
        raise InvalidDetails(errors)
    return StudioSettings(
        name=name,
        notify_email=email,
        timezone=timezone,
        currency=currency,
        brand_color=color.lower(),
        allowed_origins=" ".join(origins),
        payment_methods=" ".join(methods),
        offline_instructions=instructions,
        default_language=language,
    )


async def save_settings(
    db: Database,
    studio_id: int,
    settings: StudioSettings,
    *,
    logo: Logo | None,
    drop_logo: bool,
    now: datetime,
) -> None:
    """Store the settings and the logo change (a new one wins over removing) at once."""
    async with write_transaction(db):
        await db.execute(
            studios.update()
            .where(studios.c.id == studio_id)
            .values(
                name=settings.name,
                notify_email=settings.notify_email,
                timezone=settings.timezone,
                currency=settings.currency,
                brand_color=settings.brand_color,
                allowed_origins=settings.allowed_origins,
                payment_methods=settings.payment_methods,
                offline_instructions=settings.offline_instructions,
                default_language=settings.default_language,
            )
        )
        if logo is not None:
            await replace_logo(db, studio_id, logo, now)
        elif drop_logo:
            await remove_logo(db, studio_id)
