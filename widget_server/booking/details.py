"""The client's details (name, email, phone): validation and normalisation.

email-validator and phonenumbers do the real work; this module only decides
what to tell the client when they refuse.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import phonenumbers
from babel.core import get_global
from email_validator import EmailNotValidError, validate_email

from ..i18n import gettext as _
from .errors import InvalidDetails

MAX_NAME = 200
MAX_EMAIL = 254
MAX_PHONE_INPUT = 40
PREFILL_KEYS = ("name", "email", "phone")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_UTM = 200


@dataclass(frozen=True)
class ClientDetails:
    name: str
    email: str
    phone: str  # E.164
    # The language the client filled the form in: their later pages and emails keep it.
    language: str | None = None


def region_for_timezone(timezone: str) -> str | None:
    """The country a time zone belongs to, used to read phone numbers written locally."""
    territory = get_global("zone_territories").get(timezone)
    return territory if territory and territory != "001" else None


# Zero-width joiners are format characters too, but emoji sequences and several
# scripts need them; bidi overrides and the like only serve to disguise text.
ALLOWED_FORMAT_CHARS = {"\u200c", "\u200d"}
# Control, format, surrogate, private-use and unassigned code points.
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
# How an RFC 2047 encoded word starts. No name or address needs it, and in an email
# header a parser decodes it (into line breaks, on some interpreters): mail/compose.py
# neutralises it anyway, and the form says so up front.
ENCODED_WORD_START = "=?"


def _has_control_chars(value: str) -> bool:
    return any(
        unicodedata.category(ch) in REFUSED_CATEGORIES and ch not in ALLOWED_FORMAT_CHARS
        for ch in value
    )


def validate_details(
    name: str, email: str, phone: str, *, default_region: str | None
) -> ClientDetails:
    """Normalised details, or InvalidDetails with a message per field."""
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = _("Please enter your name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("Please keep your name under %(most)d characters.") % {"most": MAX_NAME}
    elif _has_control_chars(name):
        errors["name"] = _("Your name contains characters we can't accept.")
    elif ENCODED_WORD_START in name:
        errors["name"] = _('Please write your name without "=?".')

    email = email.strip()
    normalized_email = ""
    if not email:
        errors["email"] = _("Please enter your email address.")
    elif len(email) > MAX_EMAIL:
        errors["email"] = _("That email address is too long.")
    elif ENCODED_WORD_START in email:
        errors["email"] = _("Please enter a valid email address, like name@example.com.")
    else:
        try:
            normalized_email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = _("Please enter a valid email address, like name@example.com.")

    phone = phone.strip()
    e164 = ""
    if not phone:
        errors["phone"] = _("Please enter a phone number so the photographer can reach you.")
    elif len(phone) > MAX_PHONE_INPUT:
        errors["phone"] = _("That phone number is too long.")
    else:
        try:
            parsed = phonenumbers.parse(phone, default_region)
            if not phonenumbers.is_valid_number(parsed):
                raise phonenumbers.NumberParseException(0, "invalid")
            e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            errors["phone"] = _(
                "Please enter a valid phone number, with the country code if it's not local."
            )

    if errors:
        raise InvalidDetails(errors)
    return ClientDetails(name=name, email=normalized_email, phone=e164)


def clean_utm(values: dict[str, str]) -> dict[str, str]:
    """The utm_* parameters worth keeping: known keys, short, printable."""
    cleaned = {}
    for key in UTM_KEYS:
        value = " ".join(str(values.get(key, "")).split())[:MAX_UTM]
        if value and not _has_control_chars(value):
            cleaned[key] = value
    return cleaned
