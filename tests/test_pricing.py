"""booking/pricing.py: example quotes, and properties over random ones (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime

from babel.numbers import get_currency_precision
from hypothesis import given, settings
from hypothesis import strategies as st

from widget_server.booking.cancel import refund_plan
from widget_server.booking.catalog import Location, MiniSession, Studio
from widget_server.booking.pricing import (
    CouponTerms,
    Goods,
    PriceInput,
    TaxRate,
    allocate,
    charge_lines,
    percent_text,
    price,
)
from widget_server.booking.quotes import Quote, quote_from_row, quote_of
from widget_server.booking.views import BookingView, PaymentLine
from widget_server.payments.stripe.checkout import line_items

CURRENCIES = ["JPY", "USD", "EUR", "KWD", "BHD", "KRW"]  # 0, 2 and 3 decimals


def test_the_currencies_cover_0_2_and_3_decimals() -> None:
    assert {get_currency_precision(c) for c in CURRENCIES} == {0, 2, 3}


def test_a_family_quote_with_everything() -> None:
    sales_tax = TaxRate("Sales tax", 88_750, inclusive=False)
    priced = price(
        PriceInput(
            currency="USD",
            goods=(
                Goods("Family minis", 22_500, taxes=(sales_tax,)),
                Goods("Extra person", 2_500, quantity=2, kind="party", taxes=(sales_tax,)),
                Goods("Printed album", 4_000, kind="addon", ref=7),
            ),
            coupon=CouponTerms("WELCOME10", "percent", 100_000),
            deposit_minor=7_500,
        )
    )
    assert [(line.kind, line.amount_minor) for line in priced.lines] == [
        ("base", 22_500),
        ("party", 5_000),
        ("addon", 4_000),
        ("discount", -3_150),
        # 8.875 % of 22,500 - 2,250 and of 5,000 - 500, each rounded once: 1797 + 399.
        ("tax", 2_196),
    ]
    assert priced.lines[-1].label == "Sales tax 8.875\u00a0%"
    assert priced.total_minor == 22_500 + 5_000 + 4_000 - 3_150 + 2_196
    assert priced.due_now_minor == 7_500


def test_inclusive_tax_is_shown_but_not_added() -> None:
    vat = TaxRate("VAT", 200_000, inclusive=True)
    priced = price(PriceInput(currency="EUR", goods=(Goods("Minis", 12_000, taxes=(vat,)),)))
    assert priced.total_minor == 12_000
    tax = priced.lines[-1]
    assert (tax.label, tax.amount_minor, tax.included) == ("VAT 20\u00a0%", 2_000, True)
    assert charge_lines(priced.lines) == [("Minis", 12_000)]


def test_a_fixed_coupon_never_takes_more_than_the_price_and_base_only_stays_on_base() -> None:
    goods = (Goods("Minis", 5_000), Goods("Album", 4_000, kind="addon"))
    big = price(PriceInput("USD", goods, coupon=CouponTerms("BIG", "fixed", 100_000)))
    assert big.total_minor == 0 and big.discount_minor == 9_000
    base = price(PriceInput("USD", goods, coupon=CouponTerms("B", "fixed", 100_000, True)))
    assert base.total_minor == 4_000


def test_a_deposit_share_of_the_total() -> None:
    priced = price(PriceInput("USD", (Goods("Minis", 10_001),), deposit_ppm=250_000))
    assert priced.due_now_minor == 2_500


def test_percent_text() -> None:
    assert [percent_text(p) for p in (88_750, 100_000, 1, 0)] == ["8.875", "10", "0.0001", "0"]


def test_old_quotes_read_back_as_before() -> None:
    quote = quote_from_row(
        {
            "currency": "USD",
            "items": '[{"label": "Fall minis", "amount_minor": 22500}]',
            "due_now_minor": 7500,
            "terms": "",
        }
    )
    assert quote.total_minor == 22_500 and quote.balance_minor == 15_000


taxes = st.builds(
    TaxRate,
    name=st.sampled_from(["Tax", "VAT", "GST"]),
    rate_ppm=st.integers(1, 1_000_000),
    inclusive=st.booleans(),
    id=st.integers(1, 3),
)
goods = st.builds(
    Goods,
    label=st.sampled_from(["Minis", "Album", "Extra person"]),
    unit_minor=st.integers(0, 2_000_000),
    quantity=st.integers(0, 100),
    kind=st.sampled_from(["base", "party", "addon"]),
    taxes=st.lists(taxes, max_size=3, unique_by=lambda t: t.id).map(tuple),
)
coupons = st.one_of(
    st.none(),
    st.builds(
        CouponTerms,
        code=st.just("CODE"),
        kind=st.just("percent"),
        value=st.integers(1, 1_000_000),
        base_only=st.booleans(),
    ),
    st.builds(
        CouponTerms,
        code=st.just("CODE"),
        kind=st.just("fixed"),
        value=st.integers(1, 10_000_000),
        base_only=st.booleans(),
    ),
)
inputs = st.builds(
    PriceInput,
    currency=st.sampled_from(CURRENCIES),
    goods=st.lists(goods, min_size=1, max_size=6).map(tuple),
    coupon=coupons,
    deposit_minor=st.one_of(st.none(), st.integers(1, 5_000_000)),
    deposit_ppm=st.one_of(st.none(), st.integers(1, 999_999)),
)


@settings(max_examples=400, deadline=None)
@given(inputs)
def test_lines_add_up_and_the_deposit_fits(spec: PriceInput) -> None:
    priced = price(spec)
    counted = [line for line in priced.lines if not line.included]
    assert priced.total_minor == sum(line.amount_minor for line in counted)
    assert all(isinstance(line.amount_minor, int) for line in priced.lines)
    assert priced.total_minor >= 0
    assert 0 <= priced.due_now_minor <= priced.total_minor
    goods_total = sum(g.amount_minor for g in spec.goods if g.quantity > 0)
    assert 0 <= priced.discount_minor <= goods_total
    for line in priced.lines:
        assert 0 <= line.discount_minor <= max(line.amount_minor, 0)
        if line.included:  # the tax inside a price is never more than that price
            assert 0 < line.amount_minor <= goods_total
    # The provider's lines: non-negative and exactly the total.
    charged = charge_lines(priced.lines)
    assert all(amount > 0 for _, amount in charged)
    assert sum(amount for _, amount in charged) == priced.total_minor
    # Stored and read back, the quote says the same.
    quote = quote_of(priced, "")
    row = {
        "currency": spec.currency,
        "items": quote.items_json(),
        "due_now_minor": quote.due_now_minor,
        "terms": "",
    }
    again = quote_from_row(row)
    assert again.items == quote.items and again.total_minor == priced.total_minor


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**7), min_size=1, max_size=8))
def test_allocation_is_exact(total: int, weights: list[int]) -> None:
    total = min(total, sum(weights))
    shares = allocate(total, weights)
    assert sum(shares) == (total if sum(weights) else 0)
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))


NOW = datetime(2026, 12, 1, tzinfo=UTC)
STUDIO = Studio(
    1, "s", "S", "s@example.com", "UTC", "USD", "#3b5bdb", "", "", "demo", None, None, False, "en"
)
PLACE = Location(1, "Park", "", "", "", "UTC")


def _booking(quote: Quote, paid: list[int], policy: str) -> BookingView:
    """A booked booking with ``quote`` and these payments, as the pages see it."""
    mini = MiniSession(
        1,
        1,
        "m",
        "Minis",
        "",
        "",
        100,
        None,
        "public",
        "quote",
        "demo",
        15,
        2,
        True,
        True,
        48,
        "",
        "",
        False,
        policy,
        24,
        72,
        "",  # contract
        120,  # claim window
        None,
        None,
        None,  # no scheduled drop
    )
    payments = [
        PaymentLine(i + 1, "demo", f"p{i}", "succeeded", amount, quote.currency, NOW)
        for i, amount in enumerate(paid)
    ]
    return BookingView(
        id=1,
        public_id="x",
        reference="M-X",
        status="booked",
        expires_at=None,
        booked_at=NOW,
        slot_id=1,
        starts_at=NOW,
        ends_at=NOW,
        lead_id=1,
        client_name="A",
        client_email="a@b.c",
        client_phone="",
        client_language=None,
        studio=STUDIO,
        mini=mini,
        location=PLACE,
        quote=quote,
        quote_accepted=True,
        payments=payments,
    )


@settings(max_examples=300, deadline=None)
@given(inputs, st.sampled_from(["none", "full", "keep_deposit"]), st.booleans())
def test_refunds_never_exceed_what_was_paid(spec: PriceInput, policy: str, balance: bool) -> None:
    quote = quote_of(price(spec), "")
    paid = [quote.due_now_minor] if quote.due_now_minor else []
    if balance and quote.balance_minor:
        paid.append(quote.balance_minor)
    booking = _booking(quote, paid, policy)
    plan = refund_plan(booking)
    assert sum(r.amount_minor for r in plan) <= sum(paid)
    assert all(0 < r.amount_minor <= r.payment.amount_minor for r in plan)


@settings(max_examples=300, deadline=None)
@given(inputs, st.sampled_from(["due_now", "balance"]))
def test_stripe_gets_exactly_the_amount_asked(spec: PriceInput, purpose: str) -> None:
    quote = quote_of(price(spec), "")
    amount = quote.due_now_minor if purpose == "due_now" else quote.balance_minor
    if amount <= 0:
        return
    booking = _booking(quote, [], "none")
    items = line_items(booking, purpose, amount)
    assert sum(i["quantity"] * i["price_data"]["unit_amount"] for i in items) == amount
    assert all(i["price_data"]["unit_amount"] >= 0 for i in items)
    assert all(i["price_data"]["currency"] == spec.currency.lower() for i in items)
    if purpose == "due_now" and amount == quote.total_minor:
        # Paid in full, Stripe's receipt shows the quote's own lines.
        assert [i["price_data"]["product_data"]["name"] for i in items] == [
            label for label, _ in charge_lines(quote.items)
        ]
