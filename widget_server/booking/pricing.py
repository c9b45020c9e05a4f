"""Pricing: the one place a quote's lines are computed. Pure: no database, no I/O.

    priced = price(PriceInput(currency="USD", base=Goods("Fall minis", 22500), ...))
    priced.total_minor == sum(line.amount_minor for line in priced.charged_lines)

Every amount is an integer in the currency's minor unit, i.e. Babel's precision for it
(0 decimals for JPY, 2 for USD, 3 for KWD), so "round to the currency's precision" is
"round to an integer number of minor units". Rounding happens here only, once per line:
a coupon's percentage of what it applies to, and each taxed line's tax per rate. Every
other figure is a sum of rounded lines, so the lines always add up to the total exactly.

- Goods lines: the base price, extra people (``party``), add-ons (unit times quantity).
- A coupon is one negative line; it is shared out over the lines it applies to in
  proportion (largest remainders, exact), so each line knows its own discounted amount:
  tax is charged on that, and Stripe gets one non-negative line per goods line.
- Tax, per rate: exclusive rates add a line; inclusive rates are already inside the
  prices, and their line says how much of the total is tax (``included``, not summed).
- Due now: the fixed deposit, or a percentage of the total, never more than the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

from ..i18n import current_locale
from ..i18n import gettext as _

# A tax rate or a percentage is stored in millionths (8.875 % == 88_750), so any rate a
# tax authority publishes is exact.
PPM = 1_000_000
MAX_TAX_PPM = PPM  # 100 %: more is a typing mistake (CHECK in db/tables.py)


def round_minor(value: Decimal) -> int:
    """A fraction of a minor unit to the currency's precision: half away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share_of(amount: int, ppm: int) -> int:
    """``ppm`` millionths of ``amount``, rounded once."""
    return round_minor(Decimal(amount) * ppm / PPM)


@dataclass(frozen=True)
class TaxRate:
    name: str
    rate_ppm: int
    inclusive: bool
    id: int = 0


@dataclass(frozen=True)
class Goods:
    """Something sold: ``quantity`` times ``unit_minor``, taxed by ``taxes``."""

    label: str
    unit_minor: int
    quantity: int = 1
    kind: str = "base"  # base, party, addon
    taxes: tuple[TaxRate, ...] = ()
    ref: int = 0  # the add-on's id, for stock and the dashboard

    @property
    def amount_minor(self) -> int:
        return self.unit_minor * self.quantity


@dataclass(frozen=True)
class CouponTerms:
    code: str
    kind: str  # percent (value in ppm) or fixed (value in minor units)
    value: int
    base_only: bool = False


@dataclass(frozen=True)
class PriceInput:
    currency: str
    goods: tuple[Goods, ...]
    coupon: CouponTerms | None = None
    deposit_minor: int | None = None  # a fixed deposit
    deposit_ppm: int | None = None  # or a share of the total


@dataclass(frozen=True)
class Line:
    """One line of the quote, as shown and stored.

    ``discount_minor`` is the part of the coupon line this goods line carries (the
    Stripe line is ``amount_minor - discount_minor``); ``included`` marks an inclusive
    tax's line, which is already inside the others and so is not added to the total.
    """

    label: str
    amount_minor: int
    kind: str = "item"  # base, party, addon, discount, tax, (item: stored before lines)
    quantity: int = 1
    unit_minor: int | None = None
    discount_minor: int = 0
    included: bool = False
    ref: int = 0

    @property
    def counts(self) -> bool:
        return not self.included


@dataclass(frozen=True)
class Priced:
    currency: str
    lines: list[Line] = field(default_factory=list)
    due_now_minor: int = 0

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines if line.counts)

    @property
    def discount_minor(self) -> int:
        return -sum(line.amount_minor for line in self.lines if line.kind == "discount")


def allocate(total: int, weights: list[int]) -> list[int]:
    """``total`` shared in proportion to ``weights`` (largest remainders): exact integers
    that add up to ``total``, each at most its weight when ``total`` <= sum(weights)."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def coupon_discount(coupon: CouponTerms, eligible_minor: int) -> int:
    """What ``coupon`` takes off ``eligible_minor``: never more than it, never negative."""
    off = share_of(eligible_minor, coupon.value) if coupon.kind == "percent" else coupon.value
    return max(0, min(off, eligible_minor))


def tax_on(amount: int, rate: TaxRate) -> int:
    """The tax in ``amount``: on top of it (exclusive), or the part of it that is tax."""
    if rate.inclusive:
        return amount - round_minor(Decimal(amount) * PPM / (PPM + rate.rate_ppm))
    return share_of(amount, rate.rate_ppm)


def due_now(total: int, deposit_minor: int | None, deposit_ppm: int | None) -> int:
    if deposit_minor:
        return min(deposit_minor, total)
    if deposit_ppm:
        return min(max(share_of(total, deposit_ppm), 1 if total else 0), total)
    return total


def price(spec: PriceInput) -> Priced:
    """The quote's lines, total and what is due now."""
    goods = [g for g in spec.goods if g.quantity > 0]
    discount = 0
    shares = [0] * len(goods)
    if spec.coupon is not None:
        eligible = [
            g.amount_minor if (g.kind == "base" or not spec.coupon.base_only) else 0 for g in goods
        ]
        discount = coupon_discount(spec.coupon, sum(eligible))
        shares = allocate(discount, eligible)
    lines = [
        Line(
            label=g.label,
            amount_minor=g.amount_minor,
            kind=g.kind,
            quantity=g.quantity,
            unit_minor=g.unit_minor,
            discount_minor=share,
            ref=g.ref,
        )
        for g, share in zip(goods, shares, strict=True)
    ]
    if discount:
        assert spec.coupon is not None
        lines.append(
            Line(
                label=_("Code %(code)s") % {"code": spec.coupon.code},
                amount_minor=-discount,
                kind="discount",
            )
        )
    # Tax per rate, in the order rates first appear; each taxed line rounded once.
    taxes: dict[tuple[str, int, bool, int], int] = {}
    for g, share in zip(goods, shares, strict=True):
        for rate in g.taxes:
            key = (rate.name, rate.rate_ppm, rate.inclusive, rate.id)
            taxes[key] = taxes.get(key, 0) + tax_on(g.amount_minor - share, rate)
    for (name, rate_ppm, inclusive, rate_id), amount in taxes.items():
        if amount == 0:
            continue
        # An inclusive tax is marked by ``included`` (pages say "Includes VAT 20 %").
        lines.append(
            Line(
                # A no-break space: "%" never wraps onto a line of its own.
                label=f"{name} {percent_text(rate_ppm)}\u00a0%",
                amount_minor=amount,
                kind="tax",
                included=inclusive,
                ref=rate_id,
            )
        )
    total = sum(line.amount_minor for line in lines if line.counts)
    return Priced(
        currency=spec.currency,
        lines=lines,
        due_now_minor=due_now(total, spec.deposit_minor, spec.deposit_ppm),
    )


def percent_text(ppm: int) -> str:
    """8.875 for 88_750, 10 for 100_000: in the language in force ("8,875" in German)."""
    return format_decimal(Decimal(ppm) / (PPM // 100), "#,##0.####", locale=current_locale())


def charge_lines(lines: list[Line]) -> list[tuple[str, int]]:
    """The lines as a payment provider takes them: non-negative, adding up to the total.

    Goods lines carry their share of the discount; exclusive taxes are lines of their
    own; inclusive taxes are already inside the goods.
    """
    out: list[tuple[str, int]] = []
    for line in lines:
        if line.kind == "discount" or line.included:
            continue
        amount = line.amount_minor - line.discount_minor
        label = line.label if line.quantity == 1 else f"{line.label} x {line.quantity}"
        if amount > 0:
            out.append((label, amount))
    return out
