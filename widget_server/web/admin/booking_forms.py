"""The booking page's action forms as the page shows them: values, errors, refund keys."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from ...booking.cancel import STUDIO_REFUNDS, refund_plan
from ...booking.views import BookingView
from ...i18n import gettext as _
from ...studio.form_values import money_input

POLICY_NAMES = {
    "none": "no refund",
    "full": "a full refund",
    "keep_deposit": "everything but the deposit",
}
# The refund form's idempotency key: random, made when the page is rendered.
REFUND_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_REASON = 500


@dataclass(frozen=True)
class CancelChoice:
    key: str  # a key of booking.cancel.STUDIO_REFUNDS
    label: str
    amount_minor: int


def cancel_choices(booking: BookingView) -> list[CancelChoice]:
    """The refund choices when the studio cancels, each with the amount it gives back."""

    def amount(choice: str) -> int:
        policy = STUDIO_REFUNDS[choice]
        return 0 if choice == "none" else sum(r.amount_minor for r in refund_plan(booking, policy))

    policy = POLICY_NAMES.get(booking.mini.cancel_refund_policy, _("the policy"))
    by_policy = CancelChoice(
        "policy",
        _("As the cancellation policy says (%(policy)s)") % {"policy": policy},
        amount("policy"),
    )
    choices = [
        CancelChoice("full", _("Full refund of what was paid"), amount("full")),
        by_policy,
        CancelChoice("none", _("No refund"), 0),
    ]
    # Two choices that give back the same amount are one choice: the policy's (the form's
    # default) stays, so a policy that refunds nothing offers no second "Nothing back".
    return [c for c in choices if c is by_policy or c.amount_minor != by_policy.amount_minor]


@dataclass
class CancelForm:
    message: str = ""
    refund: str = "policy"
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class RefundForm:
    key: str
    amount: str
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def fresh(cls, refundable_minor: int, currency: str) -> RefundForm:
        return cls(key=secrets.token_urlsafe(16), amount=money_input(refundable_minor, currency))


@dataclass
class BookingForms:
    """The forms of one booking page: the cancel form, and a refund form per payment id."""

    cancel: CancelForm = field(default_factory=CancelForm)
    refunds: dict[int, RefundForm] = field(default_factory=dict)
    # The add-ons form as submitted, when it had mistakes.
    addon_values: dict[str, str] = field(default_factory=dict)
    addon_errors: dict[str, str] = field(default_factory=dict)
