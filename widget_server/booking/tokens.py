"""The client's capability: a signed token naming one booking.

The token carries the booking's random ``public_id`` (unguessable on its own)
signed with the secret key, so a tampered or invented token is rejected before
any database lookup and reveals nothing. It is the only thing that gives access
to a booking in the public flow: no cookies, so it works inside iframes too.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer

PUBLIC_ID_BYTES = 16


def new_public_id() -> str:
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


class BookingTokens:
    """``tokens = BookingTokens(secret)``; ``tokens.read(tokens.make(pid)) == pid``."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt="minis.booking")
        # A waitlist entry's "leave the list" link: another salt, so neither token opens
        # the other's page.
        self._waitlist = URLSafeSerializer(secret_key, salt="minis.waitlist")
        # A listed client's personal early-access link to a scheduled drop.
        self._early = URLSafeSerializer(secret_key, salt="minis.early")
        # A "notify me" subscriber's confirm and unsubscribe links.
        self._subscriber = URLSafeSerializer(secret_key, salt="minis.notify")

    def make(self, public_id: str) -> str:
        return self._serializer.dumps(public_id)

    def read(self, token: str) -> str | None:
        """The public id inside a genuine token, or None."""
        return _read(self._serializer, token)

    def make_waitlist(self, entry_public_id: str) -> str:
        return self._waitlist.dumps(entry_public_id)

    def read_waitlist(self, token: str) -> str | None:
        return _read(self._waitlist, token)

    def make_subscriber(self, public_id: str) -> str:
        return self._subscriber.dumps(public_id)

    def read_subscriber(self, token: str) -> str | None:
        return _read(self._subscriber, token)

    def make_early(self, mini_session_id: int, email: str) -> str:
        return self._early.dumps([mini_session_id, email.lower()])

    def read_early(self, token: str) -> tuple[int, str] | None:
        """``(mini session id, email)`` of a genuine personal early-access link, or None."""
        if len(token) > 600:
            return None
        try:
            value = self._early.loads(token)
        except BadSignature:
            return None
        if (
            isinstance(value, list)
            and len(value) == 2
            and isinstance(value[0], int)
            and isinstance(value[1], str)
        ):
            return value[0], value[1]
        return None


def _read(serializer: URLSafeSerializer, token: str) -> str | None:
    if len(token) > 200:
        return None
    try:
        value = serializer.loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None
