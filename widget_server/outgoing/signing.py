"""Standard Webhooks signatures (https://www.standardwebhooks.com): receivers verify them
with the scheme's libraries (`standardwebhooks` in Python, `svix`, …) and the secret.

    headers = signed_headers(secret, "msg_…", 1733070000, body)

The secret is ``whsec_`` + base64 of 24 random bytes; the signature is
``v1,`` + base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
