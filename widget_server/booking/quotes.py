"""Quotes: what a booking costs, what is due now, what is due later.

The lines are computed by pricing.py (the one place that rounds); a quote stores them
as they were priced, so later changes to prices, add-ons or taxes never change a quote
already given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

from .catalog import MiniSession
from .pricing import Goods, Line, Priced, PriceInput, price

# The ``quotes`` columns a Quote is read from.
QUOTE_COLUMNS = ("currency", "items", "due_now_minor", "terms", "party_size", "coupon_code")
# A stored line. Quotes written before lines had kinds read back as plain "item" lines.
LineItem = Line


@dataclass(frozen=True)
class Quote:
    currency: str
    items: list[Line]
    due_now_minor: int
    terms: str
    party_size: int = 1
    coupon_code: str = ""

    @property
    def total_minor(self) -> int:
        return sum(item.amount_minor for item in self.items if item.counts)

    @property
    def balance_minor(self) -> int:
        return self.total_minor - self.due_now_minor

    @property
    def is_deposit(self) -> bool:
        return 0 < self.due_now_minor < self.total_minor

    @property
    def addons(self) -> dict[int, int]:
        """Add-on id → quantity in this quote."""
        return {i.ref: i.quantity for i in self.items if i.kind == "addon" and i.ref}

    def items_json(self) -> str:
        return json.dumps([_compact(item) for item in self.items])


# A line's fields in order with their defaults (label and amount_minor are always kept).
_LINE_DEFAULTS = [
    (f.name, f.default if f.name not in {"label", "amount_minor"} else MISSING)
    for f in fields(Line)
]


def _compact(item: Line) -> dict[str, Any]:
    """A line as JSON, leaving out fields at their defaults (old quotes read the same).
    Its fields are all plain values, so no ``asdict`` (a deep copy) is needed."""
    found = {}
    for name, default in _LINE_DEFAULTS:
        value = getattr(item, name)
        if default is MISSING or value != default:
            found[name] = value
    return found


def base_label(mini: MiniSession, slot_label: str) -> str:
    return f"{mini.title} — {slot_label}"


def quote_for(mini: MiniSession, currency: str, slot_label: str) -> Quote:
    """The quote for one spot with nothing added: one line, and the deposit (if any)."""
    mini = mini.as_charged()
    priced = price(
        PriceInput(
            currency=currency,
            goods=(Goods(base_label(mini, slot_label), mini.price_minor),),
            deposit_minor=mini.deposit_minor,
        )
    )
    return quote_of(priced, mini.terms)


def quote_of(priced: Priced, terms: str, party_size: int = 1, coupon_code: str = "") -> Quote:
    return Quote(
        currency=priced.currency,
        items=priced.lines,
        due_now_minor=priced.due_now_minor,
        terms=terms,
        party_size=party_size,
        coupon_code=coupon_code,
    )


def quote_from_row(row: Mapping[str, Any]) -> Quote:
    """A stored quote (a ``quotes`` row) back as a Quote."""
    return Quote(
        currency=row["currency"],
        items=[Line(**item) for item in json.loads(row["items"])],
        due_now_minor=row["due_now_minor"],
        terms=row["terms"],
        party_size=row.get("party_size") or 1,
        coupon_code=row.get("coupon_code") or "",
    )
