"""The interface every payment method implements, and the requests it is handed.

The web layer knows methods only through ``PaymentMethod``: it asks where the client
goes to pay (``begin``), hands over the method's own page when it is submitted
(``submit``), the client's return from a provider's page (``confirm_return``), and the
provider's notifications (``receive_webhook``). Refunds of any method go through
``refund`` with one ``RefundRequest``. Whatever path a payment arrives by,
``booking.bookings.book`` makes its effect happen once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from babel.support import LazyProxy
from databases import Database

from ..booking.errors import WrongState
from ..booking.quotes import Quote
from ..booking.views import BookingView, PaymentLine
from ..formatting import money
from ..i18n import gettext as _
from ..i18n import lazy_gettext, pgettext


@dataclass(frozen=True)
class PaymentStart:
    """A client about to pay for ``booking``, and the URLs of its pages."""

    db: Database
    booking: BookingView
    now: datetime
    method_page_url: str  # our page for this method: /b/{token}/pay/{key}
    confirmation_url: str  # absolute: providers send the client back to it
    quote_url: str  # absolute


@dataclass(frozen=True)
class RefundRequest:
    """Give ``amount_minor`` of ``payment`` back. ``key`` names the request ("cancel-3",
    "admin-…"): asking twice with one key refunds once."""

    db: Database
    booking: BookingView
    payment: PaymentLine
    amount_minor: int
    key: str
    reason: str
    now: datetime


@dataclass(frozen=True)
class WebhookDelivery:
    """A provider's notification as it arrived: the raw body, untouched, and its headers."""

    db: Database
    body: bytes
    headers: Mapping[str, str]
    now: datetime


class PaymentUnavailable(Exception):
    """The provider could not be reached or refused the request; nothing was charged.

    Retrying is safe: a provider method repeats its idempotency key.
    """


class PaymentDeclined(Exception):
    """The client's payment was refused on our own page (a declined card); the message
    says why, in words for the client."""


class WebhookRejected(Exception):
    """The request is not a genuine, current notification; ``code`` goes in the 400 reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PaymentMethod:
    """One way to pay. Subclasses set the class attributes and override what they do::

    class Cash(PaymentMethod):
        key, label, summary = "cash", "Cash", "Pay at the session."
    """

    key: str
    # Words for the client: plain text, or lazy_gettext's text in the language in force.
    label: str | LazyProxy
    summary: str | LazyProxy
    # Whether this deployment can take it (a provider needs its keys).
    enabled: bool = True
    # Origins our forms may send the client's browser to (the pages' CSP ``form-action``).
    form_origins: tuple[str, ...] = ()
    # Whether a booked client can pay their balance online with it.
    collects_balance: bool = False
    # Who holds the client's money while we confirm it, in words for the client.
    provider_name: str | LazyProxy = lazy_gettext("The payment service")
    # How to switch it on, for the settings page when it is off here ("" = don't list it).
    how_to_enable: str = ""
    # Whether paying sends the client to a provider's own page, which refuses to be framed:
    # the embed's checkout then opens it in the top window (or a new tab), nothing else.
    leaves_site: bool = False

    @property
    def part_template(self) -> str:
        """The method's own part of the checkout form (``templates/payments/<key>.html``)."""
        return f"payments/{self.key}.html"

    def action_label(self, quote: Quote) -> str:
        """The checkout button's words for what happens: "Pay $75.00 deposit"."""
        if quote.due_now_minor <= 0:
            # Translators: the checkout's button when nothing is due now.
            return pgettext("checkout button", "Book")
        due = money(quote.due_now_minor, quote.currency)
        if quote.is_deposit:
            return _("Pay %(amount)s deposit") % {"amount": due}
        return _("Pay %(amount)s") % {"amount": due}

    async def begin(self, start: PaymentStart) -> str:
        """The URL the client's browser goes to next to pay: by default our method page."""
        return start.method_page_url

    async def submit(self, start: PaymentStart, form: Mapping[str, str]) -> str | None:
        """Our method page was submitted: pay, and return where the client goes next (a
        provider's page), or None when the booking is done here.

        Raises PaymentDeclined (message for the client), PaymentUnavailable, and the
        booking's own SlotUnavailable or WrongState.
        """
        raise NotImplementedError

    async def begin_balance(self, start: PaymentStart) -> str:
        """The URL where the booked client pays what is left after the deposit."""
        raise WrongState("no_online_balance")

    async def confirm_return(self, start: PaymentStart, query: Mapping[str, str]) -> str | None:
        """The client came back from the provider's page: settle from what the provider says.

        Returns what happened ("booked", "processing", ...), or None when the query names
        nothing of this booking's. Raises PaymentUnavailable when the provider can't be
        asked (its notification will still arrive).
        """
        return None

    async def receive_webhook(self, delivery: WebhookDelivery) -> str:
        """Verify a provider notification and apply it once; returns what happened.

        Raises WebhookRejected (not genuine or not current: a 400), PaymentUnavailable
        (acting on it needs the provider, which is down: a 503, and it delivers again).
        """
        raise WebhookRejected("not_supported", f"{self.key} sends no notifications")

    async def refund(self, request: RefundRequest) -> bool:
        """Give the money back and record it once per key (payments.refunds.record_refund).

        Returns False when this key was refunded before. Callers check
        ``payment.refundable_minor`` first.
        """
        raise NotImplementedError
