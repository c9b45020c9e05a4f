"""The parts of Stripe's events and objects Minis acts on, read and type-checked first.

A correctly signed body can still be something else than the event we expect (a replay
of a test fixture, an API version we don't know, a bug on either side): JSON that is not
an object, ``metadata`` that is a string, an ``id`` that is a number, ``"²"`` where an
id belongs (``"²".isdigit()`` is true, ``int("²")`` fails), text no database can hold,
amounts out of range. Each reader returns the fields typed or raises
``WebhookRejected("invalid_payload")``, which the webhook answers with a JSON 400; the
effects in events.py only ever see well-formed values.

Only what we use is checked: an event of a type we ignore needs only its envelope, and
fields we never read may hold anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...db.limits import MAX_INT, id_from_text, storable
from ..base import WebhookRejected

# Stripe's ids are a prefix and a few dozen characters; anything far longer is not one.
MAX_ID_CHARS = 255
MAX_TEXT_CHARS = 5000


class Malformed(WebhookRejected):
    def __init__(self, where: str) -> None:
        super().__init__("invalid_payload", f"the event's {where} is not what Stripe sends")


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    object: dict[str, Any]


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    attempt_id: int | None  # metadata.minis_checkout: the attempt that created it
    status: str | None
    payment_status: str | None
    payment_intent: str | None
    amount_total: int | None
    currency: str | None


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    status: str
    reason: str | None
    key: str | None  # metadata.minis_key: our request's key, when we asked for it


@dataclass(frozen=True)
class Charge:
    payment_intent: str | None
    refunds: list[Refund] | None  # None: not in the event, to be listed through the API


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(where)
    return value


def _text(
    value: Any, where: str, *, required: bool = False, limit: int = MAX_ID_CHARS
) -> str | None:
    """A string the databases can hold, or None when absent (and allowed to be)."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or (not value and required):
        raise Malformed(where)
    if len(value) > limit or not storable(value):
        raise Malformed(where)
    return value


def _id(value: Any, where: str) -> str:
    text = _text(value, where, required=True)
    assert text is not None  # required
    return text


def _amount(value: Any, where: str) -> int | None:
    """Minor units: a non-negative integer our integer columns can hold (not a bool, which
    JSON's ``true`` would be to Python, nor a float)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
        raise Malformed(where)
    return value


def _metadata(value: Any, where: str) -> dict[str, Any]:
    return {} if value is None else _object(value, where)


def read_event(data: Any) -> Event:
    event = _object(data, "body")
    body = _object(event.get("data"), "data")
    return Event(
        id=_id(event.get("id"), "id"),
        type=_id(event.get("type"), "type"),
        object=_object(body.get("object"), "data.object"),
    )


def read_session(obj: dict[str, Any]) -> CheckoutSession:
    metadata = _metadata(obj.get("metadata"), "metadata")
    raw_attempt = metadata.get("minis_checkout")
    attempt_id = None
    if raw_attempt is not None:
        # Only ours carry it, always as the attempt's id in ASCII digits.
        attempt_id = id_from_text(raw_attempt if isinstance(raw_attempt, str) else None)
        if attempt_id is None:
            raise Malformed("metadata.minis_checkout")
    currency = _text(obj.get("currency"), "currency")
    if currency is not None and not (len(currency) == 3 and currency.isascii()):
        raise Malformed("currency")
    return CheckoutSession(
        id=_id(obj.get("id"), "id"),
        attempt_id=attempt_id,
        status=_text(obj.get("status"), "status"),
        payment_status=_text(obj.get("payment_status"), "payment_status"),
        payment_intent=_text(obj.get("payment_intent"), "payment_intent"),
        amount_total=_amount(obj.get("amount_total"), "amount_total"),
        currency=currency,
    )


def read_refund(obj: Any) -> Refund:
    refund = _object(obj, "refund")
    amount = _amount(refund.get("amount"), "refund amount")
    metadata = _metadata(refund.get("metadata"), "refund metadata")
    return Refund(
        id=_id(refund.get("id"), "refund id"),
        amount=amount or 0,
        status=_text(refund.get("status"), "refund status") or "",
        reason=_text(refund.get("reason"), "refund reason", limit=MAX_TEXT_CHARS),
        key=_text(metadata.get("minis_key"), "refund metadata.minis_key"),
    )


def read_charge(obj: dict[str, Any]) -> Charge:
    refunds = obj.get("refunds")
    listed = None if refunds is None else _object(refunds, "refunds").get("data")
    if listed is not None and not isinstance(listed, list):
        raise Malformed("refunds.data")
    return Charge(
        payment_intent=_text(obj.get("payment_intent"), "payment_intent"),
        refunds=None if listed is None else [read_refund(r) for r in listed],
    )
