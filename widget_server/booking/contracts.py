"""A mini session's contract: filled in for one booking, shown, signed, and kept as evidence.

The photographer writes Markdown with placeholders (``{{ client_name }}``, ``{{ date }}``,
``{{ time }}``, ``{{ place }}``, ``{{ address }}``, ``{{ price }}``, ``{{ studio }}``,
``{{ session }}``). Jinja's sandbox fills them in with autoescape on, so a client's name
can never become markup; Markdown's own punctuation in a value is backslash-escaped, so
it can't become a link or a heading either. The result (``contract_text``) is what the
client reads and what is hashed, stored and printed into the PDF.

The form carries the SHA-256 of the text the client was shown; signing compares it with
the text as it stands when they sign, so a contract edited in between is never signed
unseen: the client is asked to read the new one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from ..db.insert_once import insert_once
from ..db.rows import fetch_one_as
from ..db.tables import contract_signatures
from ..formatting import day_long, local_date, money, slot_time
from ..i18n import gettext as _
from .details import MAX_NAME, _has_control_chars
from .errors import InvalidDetails
from .events import record_event
from .views import BookingView

PLACEHOLDERS = {
    "client_name": "the client's name",
    "date": "the session's date",
    "time": "the session's start time",
    "place": "the location's name",
    "address": "the location's address",
    "price": "the price",
    "studio": "your studio's name",
    "session": "the mini session's title",
}
SAMPLE_FACTS = {
    "client_name": "Jane Doe",
    "date": "Saturday, October 3, 2026",
    "time": "10:00 AM EDT",
    "place": "Riverside Park",
    "address": "1 River Rd",
    "price": "$225.00",
    "studio": "Your studio",
    "session": "Fall minis",
}
MAX_USER_AGENT = 500
# CommonMark lets any ASCII punctuation be backslash-escaped; <, >, &, " and ' are left
# to autoescape (as entities, which Markdown shows as the characters).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


def _markdown_literal(value: str) -> str:
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(value.split()))


def fill_contract(template: str, facts: dict[str, str]) -> str:
    """The contract with its placeholders filled in. Raises jinja2.TemplateError."""
    safe = {key: _markdown_literal(value) for key, value in facts.items()}
    return _environment().from_string(template).render(**safe)


def contract_problem(template: str) -> str | None:
    """What's wrong with a contract the photographer wrote, for the form; None if fine."""
    try:
        fill_contract(template, SAMPLE_FACTS)
    except TemplateError as exc:
        known = ", ".join("{{ " + name + " }}" for name in PLACEHOLDERS)
        return f"The placeholders don't work ({exc.message}). You can use {known}."
    return None


def contract_facts(booking: BookingView) -> dict[str, str]:
    tz = booking.timezone
    return {
        "client_name": booking.client_name,
        "date": day_long(local_date(booking.starts_at, tz)),
        "time": slot_time(booking.starts_at, tz),
        "place": booking.location.name,
        "address": booking.location.address,
        "price": money(booking.total_minor, booking.currency),
        "studio": booking.studio.name,
        "session": booking.mini.title,
    }


def contract_text(booking: BookingView) -> str:
    """The text this booking's client is asked to sign now ("" when none is required)."""
    if not booking.mini.contract.strip():
        return ""
    try:
        return fill_contract(booking.mini.contract, contract_facts(booking))
    except TemplateError:
        # The dashboard refuses placeholders that don't work; one written into the
        # database some other way is shown as written (still Markdown without HTML)
        # rather than failing the checkout.
        return booking.mini.contract


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Signature:
    text: str
    sha256: str
    signed_name: str
    ip_address: str
    user_agent: str


class SignatureRow(NamedTuple):
    booking_id: int
    text: str
    sha256: str
    signed_name: str
    signed_at: datetime
    ip_address: str
    user_agent: str


class ContractChanged(Exception):
    """The contract was edited after the client was shown it: they must read it again."""


def check_signature(
    booking: BookingView,
    *,
    shown_sha256: str,
    typed_name: str,
    agreed: bool,
    ip_address: str,
    user_agent: str,
) -> Signature:
    """The signature to store, or InvalidDetails / ContractChanged.

    ``shown_sha256`` is the hash of the text the page showed; it must still be the hash
    of the contract as it stands.
    """
    text = contract_text(booking)
    if text_hash(text) != shown_sha256:
        raise ContractChanged()
    errors: dict[str, str] = {}
    name = " ".join(typed_name.split())
    if not name:
        errors["signed_name"] = _("Type your full name to sign the contract.")
    elif len(name) > MAX_NAME:
        errors["signed_name"] = _("Please keep your name under %(most)d characters.") % {
            "most": MAX_NAME
        }
    elif _has_control_chars(name):
        errors["signed_name"] = _("Your name contains characters we can't accept.")
    if not agreed:
        errors["agree"] = _("Tick the box to agree to the contract.")
    if errors:
        raise InvalidDetails(errors)
    return Signature(
        text=text,
        sha256=text_hash(text),
        signed_name=name,
        ip_address=ip_address[:64],
        user_agent=user_agent[:MAX_USER_AGENT],
    )


async def record_signature(
    db: Database, booking_id: int, signature: Signature, now: datetime
) -> None:
    """Keep the signature (inside the caller's transaction). A booking signs once: a
    second tab's signature changes nothing."""
    inserted = await insert_once(
        db,
        contract_signatures,
        {
            "booking_id": booking_id,
            "text": signature.text,
            "sha256": signature.sha256,
            "signed_name": signature.signed_name,
            "signed_at": now,
            "ip_address": signature.ip_address,
            "user_agent": signature.user_agent,
        },
        unique=["booking_id"],
    )
    if inserted is not None:
        await record_event(db, booking_id, "contract_signed", now, sha256=signature.sha256)


async def signature_of(db: Database, booking_id: int) -> SignatureRow | None:
    return await fetch_one_as(
        db,
        sa.select(contract_signatures).where(contract_signatures.c.booking_id == booking_id),
        SignatureRow,
    )
