"""Cancel and refund: the one use case behind the client's cancel page and the studio's
cancel action.

The cancellation commits first (booking.cancel: the spot freed, the event, the emails
and a refund intent per refund owed, in one transaction); then each intent is carried
out through its payment's own method (a provider's API must not be called inside a
database transaction). Each refund uses the key "cancel-<payment id>" (a booking is
cancelled once), so trying it again refunds nothing twice. A refund that can't be made
now, or that this process never gets to (it died, the database went away right after
the commit), stays owed in its intent: the background upkeep of any process retries it,
and the dashboard offers Retry; the cancellation stands either way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from databases import Database

from ..booking.cancel import cancel, cancel_for_client
from ..booking.views import BookingView
from .base import PaymentMethod
from .refunds import refund_owed_now

logger = logging.getLogger("minis")


async def cancel_and_refund(
    methods: Mapping[str, PaymentMethod],
    db: Database,
    booking: BookingView,
    message: str,
    now: datetime,
    *,
    studio_refund: str | None = None,
) -> int:
    """Cancel ``booking`` and refund what is owed, or raise and change nothing. Returns how
    many refunds failed for now (they stay owed and are retried in the background).

    The client cancels within the mini session's rules and refund policy (raises
    ChangeNotAllowed, WrongState). With ``studio_refund`` (a key of
    ``booking.cancel.STUDIO_REFUNDS``) the studio cancels for them, whatever the rules
    say, refunding what it chose (raises WrongState when not booked).
    """
    if studio_refund is None:
        owed = await cancel(db, booking, message, now)
    else:
        owed = await cancel_for_client(db, booking, message, studio_refund, now)
    failures = 0
    for intent_id in owed:
        try:
            intent, done = await refund_owed_now(methods, db, intent_id, now)
        except Exception:  # the cancellation stands; its intent is retried in the background
            logger.exception("refund after cancelling booking %s failed", booking.id)
            failures += 1
            continue
        if intent is not None and done is None:  # (None: another process is on it already)
            failures += 1
    return failures
