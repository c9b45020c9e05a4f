"""What a cancellation did with the client's money, in words: refunded, kept, and why.

The figures are the cancellation's own: what the studio held when it was cancelled (the
email's facts) and the refund it decided (the payload's ``refund_minor``, the sum of the
refund intents written with it). The reason follows who cancelled and, for the client,
the mini session's cancellation policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import formatting
from ..booking.views import BookingView
from ..i18n import gettext as _


@dataclass(frozen=True)
class RefundStory:
    paid_minor: int
    refund_minor: int
    kept_minor: int
    summary: str  # one sentence: refunded and kept
    reason: str  # why, or "" when everything is refunded or nothing was paid


def refund_story(booking: BookingView, refund_minor: int, by: str) -> RefundStory:
    """The story of ``booking``'s money when cancelled by ``by`` (client, studio, deadline)."""
    paid = booking.paid_minor
    refund = min(max(refund_minor, 0), paid)
    kept = paid - refund

    def money(amount: int) -> str:
        return formatting.money(amount, booking.currency)

    studio = booking.studio.name
    if paid == 0:
        if by == "deadline":
            return RefundStory(0, 0, 0, _("No payment was received, so nothing is charged."), "")
        return RefundStory(0, 0, 0, _("Nothing had been paid, so there is nothing to refund."), "")
    if kept == 0:
        summary = _("All you paid, %(refund)s, is being refunded to you.") % {
            "refund": money(refund)
        }
        return RefundStory(paid, refund, 0, summary, "")
    if refund:
        summary = _("%(refund)s is being refunded to you; %(studio)s keeps %(kept)s.") % {
            "refund": money(refund),
            "studio": studio,
            "kept": money(kept),
        }
    else:
        summary = _("No refund: %(studio)s keeps the %(kept)s you paid.") % {
            "studio": studio,
            "kept": money(kept),
        }
    policy = booking.mini.cancel_refund_policy
    if by == "studio":
        reason = _(
            "%(studio)s chose this refund when cancelling; reply to this email with questions."
        )
    elif policy == "keep_deposit":
        reason = _("Under %(studio)s's cancellation policy the deposit is not refunded.")
    elif policy == "none":
        reason = _(
            "Under %(studio)s's cancellation policy payments are not refunded on cancellation."
        )
    else:
        reason = _("Under %(studio)s's cancellation policy, as it applies to this booking.")
    return RefundStory(paid, refund, kept, summary, reason % {"studio": studio})
