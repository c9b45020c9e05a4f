"""Stripe events for the fuzz: real sessions' ids and states, mutated, signed for real.

Most are signed with the webhook secret (tests/support/stripe_server.sign), so they reach
the checks after the signature: the event's shape (payments/stripe/shapes.py), the
lookups and the effects. Others are too old, too far ahead, signed with another secret,
or carry a garbage header.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from .hostile import any_json, nasty
from .stripe_server import sign


def delivery(rng: random.Random, sessions: list[dict[str, Any]]) -> tuple[bytes, dict[str, str]]:
    """A body and headers for POST /webhooks/stripe: an event about one of ``sessions``
    (the stand-in's), usually signed with the right secret, with fields replaced by values
    of any type; or a body that is no event at all, too deep or too large."""
    body = json.dumps(event(rng, sessions)).encode()
    roll = rng.random()
    if roll < 0.03:
        body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 100)))
    elif roll < 0.06:
        # Past the 64 KB cap of other paths, within the webhook's (512 KB), or past it.
        padding = "x" * rng.choice([70_000, 200_000, 600_000])
        body = json.dumps({"padding": padding, "event": event(rng, sessions)}).encode()
    elif roll < 0.07:
        body = b"[" * 100_000 + b"]" * 100_000  # deeper than Python's recursion limit
    now = int(time.time())
    roll = rng.random()
    if roll < 0.8:
        signature = sign(body)
    elif roll < 0.84:
        signature = sign(body, timestamp=now - rng.choice([301, 400, 10**6]))
    elif roll < 0.88:
        signature = sign(body, timestamp=now + rng.choice([301, 400, 10**6]))
    elif roll < 0.92:
        signature = sign(body, secret="whsec_" + nasty(rng))
    else:
        signature = nasty(rng).encode("utf-8", "replace").decode("latin-1")
    headers = {"content-type": "application/json"}
    if signature and "\n" not in signature and "\r" not in signature:
        headers["stripe-signature"] = signature
    return body, headers


def event(rng: random.Random, sessions: list[dict[str, Any]]) -> Any:
    """An event of a type we act on (or one we ignore) about a real session or its charge,
    shaped like Stripe's or mutated; one in twenty is any JSON value at all."""
    if rng.random() < 0.05:
        return any_json(
            rng,
        )
    kind = rng.choice(
        [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed",
            "checkout.session.expired",
            "charge.refunded",
            "payment_intent.created",
        ]
    )
    session = dict(rng.choice(sessions)) if sessions else {"id": "cs_test_none"}
    if kind == "charge.refunded":
        refund = {
            "id": f"re_fuzz_{rng.randint(0, 99)}",
            "amount": rng.choice([0, 1, 500, 2**31, -5]),
            "status": rng.choice(["succeeded", "pending", "failed", "weird"]),
            "reason": rng.choice([None, "requested_by_customer"]),
            "metadata": {"minis_key": rng.choice(["x", "admin-1"])},
        }
        obj: dict[str, Any] = {
            "id": "ch_fuzz",
            "object": "charge",
            "payment_intent": session.get("payment_intent"),
            "refunds": {"object": "list", "data": [mutate(rng, refund)]},
        }
    else:
        obj = {
            "id": session.get("id"),
            "object": "checkout.session",
            "status": rng.choice(["complete", "open", "expired", session.get("status")]),
            "payment_status": rng.choice(["paid", "unpaid", "no_payment_required"]),
            "payment_intent": session.get("payment_intent"),
            "amount_total": session.get("amount_total"),
            "currency": session.get("currency", "usd"),
            "metadata": dict(session.get("metadata") or {}),
        }
        if rng.random() < 0.2:
            obj["metadata"] = mutate(rng, obj["metadata"]) or any_json(
                rng,
            )
        if rng.random() < 0.1:
            odd = rng.choice(["²", "٣", "-1", "2147483648", "1\x00"])
            obj["metadata"] = {"minis_checkout": odd}
    event: dict[str, Any] = {
        "id": f"evt_fuzz_{rng.randint(0, 10**6)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": mutate(rng, obj) if rng.random() < 0.5 else obj},
    }
    if rng.random() < 0.15:
        event = mutate(rng, event)
    if rng.random() < 0.05:
        event["data"] = any_json(
            rng,
        )
    return event


def mutate(rng: random.Random, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with about one key in eight replaced by any JSON value, one in twenty gone."""
    for key in list(obj):
        roll = rng.random()
        if roll < 0.12:
            obj[key] = any_json(
                rng,
            )
        elif roll < 0.17:
            del obj[key]
    return obj
