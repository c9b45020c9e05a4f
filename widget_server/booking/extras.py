"""What a mini session sells beyond the spot: add-ons, extra people, its tax rates.

Reads them, turns a client's choice into a priced quote (pricing.py does the sums), and
claims or gives back add-on stock. Stock is a counter like a slot's spots: ``addons.taken``
moves only through the conditional UPDATEs below (CHECK ``taken <= stock`` backs them),
inside the booking's transaction, after its slot's lock; add-ons are locked in id order
so two bookings never wait on each other in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared, PreparedInsert
from ..db.rows import fetch_all_as
from ..db.tables import (
    addons,
    booking_addons,
    quotes,
    tax_rate_addons,
    tax_rate_minis,
    tax_rates,
)
from ..i18n import gettext as _
from ..i18n import ngettext
from .catalog import MiniSession, Row
from .errors import InvalidDetails
from .pricing import CouponTerms, Goods, PriceInput, TaxRate, price
from .quotes import Quote, base_label, quote_of


@dataclass(frozen=True)
class Addon(Row):
    id: int
    mini_session_id: int
    name: str
    description: str
    image_url: str
    price_minor: int
    max_quantity: int
    stock: int | None
    taken: int
    archived: bool

    @property
    def left(self) -> int | None:
        return None if self.stock is None else max(self.stock - self.taken, 0)

    @property
    def most(self) -> int:
        """The most a client may pick right now."""
        return self.max_quantity if self.left is None else min(self.max_quantity, self.left)


class _Rate(NamedTuple):
    id: int
    name: str
    rate_ppm: int
    inclusive: bool
    all_minis: bool
    all_addons: bool


@dataclass(frozen=True)
class MiniTaxes:
    base: tuple[TaxRate, ...]  # on the base price and extra people
    addons: dict[int, tuple[TaxRate, ...]]  # add-on id -> its rates


async def addons_of(db: Database, mini_session_id: int, *, archived: bool = False) -> list[Addon]:
    """The mini session's add-ons in the order they were added (archived too if asked)."""
    query = sa.select(addons).where(addons.c.mini_session_id == mini_session_id)
    if not archived:
        query = query.where(addons.c.archived == sa.false())
    return await fetch_all_as(db, query.order_by(addons.c.id), Addon)


NO_TAXES = MiniTaxes(base=(), addons={})


def rates_applying(
    studio_id: sa.ColumnElement[int], mini_session_id: sa.ColumnElement[int]
) -> sa.ColumnElement[bool]:
    """The studio's live tax rates that apply to the mini session (its base price and
    extra people): the one definition taxes_of and slot_form's ``taxed`` share."""
    listed = sa.select(tax_rate_minis.c.tax_rate_id).where(
        tax_rate_minis.c.mini_session_id == mini_session_id
    )
    return sa.and_(
        tax_rates.c.studio_id == studio_id,
        tax_rates.c.archived == sa.false(),
        sa.or_(tax_rates.c.all_minis == sa.true(), tax_rates.c.id.in_(listed)),
    )


# Built once (db/compiled.py): every hold of a priced mini session reads them.
RATES = Prepared(
    sa.select(tax_rates)
    .where(rates_applying(sa.bindparam("studio"), sa.bindparam("mini")))
    .order_by(tax_rates.c.id)
)


async def taxes_of(db: Database, studio_id: int, mini_session_id: int) -> MiniTaxes:
    """The studio's live rates that apply to this mini session and to each of its add-ons."""
    rates = await fetch_all_as(db, RATES.bind(studio=studio_id, mini=mini_session_id), _Rate)
    if not rates:  # no tax here (most studios): nothing to read for the add-ons either
        return NO_TAXES
    pairs = await db.fetch_all(
        sa.select(tax_rate_addons.c.tax_rate_id, tax_rate_addons.c.addon_id)
        .join(addons, addons.c.id == tax_rate_addons.c.addon_id)
        .where(addons.c.mini_session_id == mini_session_id)
    )
    chosen: set[tuple[int, int]] = {(p["tax_rate_id"], p["addon_id"]) for p in pairs}
    mini_addons = await addons_of(db, mini_session_id, archived=True)

    def as_rate(r: _Rate) -> TaxRate:
        return TaxRate(name=r.name, rate_ppm=r.rate_ppm, inclusive=r.inclusive, id=r.id)

    return MiniTaxes(
        base=tuple(as_rate(r) for r in rates),
        addons={
            a.id: tuple(as_rate(r) for r in rates if r.all_addons or (r.id, a.id) in chosen)
            for a in mini_addons
        },
    )


@dataclass(frozen=True)
class Choice:
    """What the client chose: party size and add-on quantities (id -> quantity)."""

    party_size: int = 1
    addons: dict[int, int] | None = None


def check_choice(mini: MiniSession, offered: list[Addon], choice: Choice) -> dict[int, int]:
    """The add-on quantities to claim, or InvalidDetails saying what is wrong (a quantity
    below 0 or over the maximum, an add-on this mini session doesn't sell, too many people)."""
    errors: dict[str, str] = {}
    if not 1 <= choice.party_size <= mini.party_max:
        errors["party_size"] = _("Choose between 1 and %(most)d people.") % {"most": mini.party_max}
    by_id = {a.id: a for a in offered}
    picked: dict[int, int] = {}
    for addon_id, quantity in (choice.addons or {}).items():
        addon = by_id.get(addon_id)
        if addon is None:
            errors["addons"] = _("That add-on isn't offered for this session.")
            continue
        if quantity < 0 or quantity > addon.max_quantity:
            errors[f"addon_{addon_id}"] = _("Choose between 0 and %(most)d for %(name)s.") % {
                "most": addon.max_quantity,
                "name": addon.name,
            }
        elif quantity:
            picked[addon_id] = quantity
    if errors:
        raise InvalidDetails(errors)
    return picked


def priced_quote(
    mini: MiniSession,
    currency: str,
    slot_label: str,
    *,
    party_size: int,
    picked: dict[int, int],
    offered: list[Addon],
    taxes: MiniTaxes,
    coupon: CouponTerms | None,
) -> Quote:
    """The quote for this choice (already checked by ``check_choice``)."""
    extra = max(party_size - mini.party_included, 0)
    goods = [Goods(base_label(mini, slot_label), mini.price_minor, taxes=taxes.base)]
    if extra:
        goods.append(
            Goods(
                ngettext("Extra person", "Extra people", extra),
                mini.extra_person_minor,
                quantity=extra,
                kind="party",
                taxes=taxes.base,
            )
        )
    for addon in offered:
        if picked.get(addon.id):
            goods.append(
                Goods(
                    addon.name,
                    addon.price_minor,
                    quantity=picked[addon.id],
                    kind="addon",
                    taxes=taxes.addons.get(addon.id, ()),
                    ref=addon.id,
                )
            )
    priced = price(
        PriceInput(
            currency=currency,
            goods=tuple(goods),
            coupon=coupon,
            deposit_minor=mini.deposit_minor,
            deposit_ppm=mini.deposit_ppm,
        )
    )
    return quote_of(
        priced, mini.terms, party_size, coupon.code if coupon and priced.discount_minor else ""
    )


async def charged_taxes(db: Database, studio_id: int, mini: MiniSession) -> MiniTaxes:
    """The taxes a hold's quote is priced with: a free mini session's quote (a contract to
    sign) charges nothing, so taxes nothing."""
    if mini.is_free:
        return NO_TAXES
    return await taxes_of(db, studio_id, mini.id)


def opening_quote(
    mini: MiniSession, currency: str, slot_label: str, *, party_size: int, taxes: MiniTaxes
) -> Quote:
    """The quote a new hold starts with, a client's own or a waitlist offer's: the party
    size, no add-ons, no code, the mini session's taxes (a free one charges nothing). The
    checkout changes it from there."""
    return priced_quote(
        mini.as_charged(),
        currency,
        slot_label,
        party_size=party_size,
        picked={},
        offered=[],
        taxes=taxes,
        coupon=None,
    )


# Built once (db/compiled.py): every hold inserts one.
NEW_QUOTE = PreparedInsert(
    quotes,
    ("booking_id", "currency", "items", "total_minor", "due_now_minor", "terms", "party_size"),
)


async def insert_quote(db: Database, booking_id: int, quote: Quote) -> None:
    """Store a booking's first quote (its lines as priced now)."""
    await db.execute(
        NEW_QUOTE.bind(
            booking_id=booking_id,
            currency=quote.currency,
            items=quote.items_json(),
            total_minor=quote.total_minor,
            due_now_minor=quote.due_now_minor,
            terms=quote.terms,
            party_size=quote.party_size,
        )
    )


class AddonsGone(Exception):
    """An add-on sold out (or was withdrawn) while the client chose; ``name`` says which."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


async def claim_addons(
    db: Database, booking_id: int, mini_session_id: int, picked: dict[int, int]
) -> None:
    """Take ``picked`` from the add-ons' stock for the booking, in id order, or raise
    AddonsGone and leave the transaction to roll back. Needs the booking's slot locked."""
    for addon_id in sorted(picked):
        quantity = picked[addon_id]
        claimed = await db.fetch_one(
            addons.update()
            .where(
                addons.c.id == addon_id,
                addons.c.mini_session_id == mini_session_id,
                addons.c.archived == sa.false(),
                sa.or_(addons.c.stock.is_(None), addons.c.taken + quantity <= addons.c.stock),
            )
            .values(taken=addons.c.taken + quantity)
            .returning(addons.c.id)
        )
        if claimed is None:
            name = await db.fetch_val(sa.select(addons.c.name).where(addons.c.id == addon_id))
            raise AddonsGone(str(name or _("An add-on")))
        await db.execute(
            booking_addons.insert().values(
                booking_id=booking_id, addon_id=addon_id, quantity=quantity
            )
        )


async def lock_addons(db: Database, booking_id: int, picked: dict[int, int]) -> None:
    """Lock the add-ons the booking holds and those it is about to claim, in id order,
    before giving any back: every transaction takes add-on rows in the same order, so two
    clients swapping albums for prints can't deadlock on PostgreSQL."""
    held = await db.fetch_all(
        sa.select(booking_addons.c.addon_id).where(booking_addons.c.booking_id == booking_id)
    )
    for addon_id in sorted({r["addon_id"] for r in held} | set(picked)):
        await db.execute(
            addons.update().where(addons.c.id == addon_id).values(taken=addons.c.taken)
        )


class _Claimed(NamedTuple):
    addon_id: int
    quantity: int


async def release_addons(db: Database, booking_id: int) -> None:
    """Give back every add-on unit the booking holds. Needs its slot locked."""
    claimed = await fetch_all_as(
        db,
        sa.select(booking_addons.c.addon_id, booking_addons.c.quantity)
        .where(booking_addons.c.booking_id == booking_id)
        .order_by(booking_addons.c.addon_id),
        _Claimed,
    )
    for row in claimed:
        await db.execute(
            addons.update()
            .where(addons.c.id == row.addon_id, addons.c.taken >= row.quantity)
            .values(taken=addons.c.taken - row.quantity)
        )
    if claimed:
        await db.execute(booking_addons.delete().where(booking_addons.c.booking_id == booking_id))
