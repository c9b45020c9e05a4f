"""Quotes: what a booking costs, what is due now, what is due later."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .catalog import MiniSession


@dataclass(frozen=True)
class LineItem:
    label: str
    amount_minor: int


@dataclass(frozen=True)
class Quote:
    currency: str
    items: list[LineItem]
    due_now_minor: int
    terms: str

    @property
    def total_minor(self) -> int:
        return sum(item.amount_minor for item in self.items)

    @property
    def balance_minor(self) -> int:
        return self.total_minor - self.due_now_minor

    @property
    def is_deposit(self) -> bool:
        return 0 < self.due_now_minor < self.total_minor

    def items_json(self) -> str:
        return json.dumps([item.__dict__ for item in self.items])


def quote_for(mini: MiniSession, currency: str, slot_label: str) -> Quote:
    """The quote for one spot: a line item, and the deposit (if any) due now."""
    items = [LineItem(label=f"{mini.title} — {slot_label}", amount_minor=mini.price_minor)]
    total = mini.price_minor
    due_now = mini.deposit_minor if mini.deposit_minor and mini.deposit_minor < total else total
    return Quote(currency=currency, items=items, due_now_minor=due_now, terms=mini.terms)


def quote_from_row(row: Mapping[str, Any]) -> Quote:
    """A stored quote (a ``quotes`` row) back as a Quote."""
    return Quote(
        currency=row["currency"],
        items=[LineItem(**item) for item in json.loads(row["items"])],
        due_now_minor=row["due_now_minor"],
        terms=row["terms"],
    )
