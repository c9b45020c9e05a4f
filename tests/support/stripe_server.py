"""A local stand-in for the parts of Stripe's API that Minis calls, for the real ``stripe`` library.

It serves, on a free 127.0.0.1 port in a thread:

- ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/{id}``,
  ``POST /v1/checkout/sessions/{id}/expire``;
- ``GET /v1/payment_intents/{id}``;
- ``POST /v1/refunds``, ``GET /v1/refunds?payment_intent=``;
- a hosted page per session (``/pay/{id}``) with a "Pay" button: paying there
  completes the session, posts the signed ``checkout.session.completed`` event to
  ``webhook_url`` (when set) and redirects to the session's success_url.

Like Stripe it honours ``Idempotency-Key`` (the same key answers with the same
object, never a second one), checks the Checkout Session's expiry window against
its clock, and signs events the way ``stripe.Webhook.construct_event`` verifies
them (``Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.payload")``). Tests can
make the next create calls fail (an API error status) or hang past the client's
timeout after doing their work (a lost answer).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SECRET_KEY = "sk_test_minis_standin"
WEBHOOK_SECRET = "whsec_minis_standin"
MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60


class StripeError(Exception):
    def __init__(self, status: int, kind: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.code = status, kind, code

    def body(self) -> dict[str, Any]:
        error = {"type": self.kind, "message": str(self)}
        if self.code:
            error["code"] = self.code
        return {"error": error}


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][0][c]=1``) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass
class Failure:
    path: str
    status: int = 0  # answer with this error status (500, 402...)
    hang_seconds: float = 0.0  # or do the work, then answer this late


@dataclass
class StandInStripe:
    """The fake's state; the HTTP server runs over it. Thread-safe (one lock)."""

    clock: Callable[[], float] = time.time
    base_url: str = ""
    webhook_url: str | None = None
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (method, path, idempotency key) of every API request, in order.
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    # The webhook deliveries made from the hosted page: (status, body).
    deliveries: list[tuple[int, str]] = field(default_factory=list)
    _idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _create_failures: list[Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- test controls ---------------------------------------------------------------

    def fail_next_create(
        self, status: int = 500, times: int = 1, path: str = "/v1/checkout/sessions"
    ) -> None:
        """The next ``times`` create calls (POST ``path``) answer ``status``, doing nothing."""
        self._create_failures += [Failure(path, status=status)] * times

    def hang_next_create(
        self, seconds: float, times: int = 1, path: str = "/v1/checkout/sessions"
    ) -> None:
        """The next ``times`` create calls (POST ``path``) do their work, then answer after
        ``seconds``."""
        self._create_failures += [Failure(path, hang_seconds=seconds)] * times

    def creates(self, path: str = "/v1/checkout/sessions") -> list[str | None]:
        """Idempotency keys of the create calls made to ``path``."""
        return [key for method, p, key in self.requests if method == "POST" and p == path]

    def event(self, kind: str, obj: dict[str, Any]) -> bytes:
        """An event payload as Stripe would post it."""
        event = {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(self.clock()),
            "livemode": False,
            "type": kind,
            "data": {"object": obj},
        }
        return json.dumps(event).encode()

    def pay(self, session_id: str, *, delayed: bool = False) -> dict[str, Any]:
        """The client pays on the hosted page: the session completes (``delayed``: the payment
        is still processing, as with a bank debit). Returns the session."""
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise StripeError(400, "invalid_request_error", "session is not open")
            pi = self._payment_intent(session, "processing" if delayed else "succeeded")
            session.update(
                status="complete",
                payment_status="unpaid" if delayed else "paid",
                payment_intent=pi["id"],
            )
            return json.loads(json.dumps(session))

    def settle_delayed(self, session_id: str) -> dict[str, Any]:
        """A delayed payment clears (for checkout.session.async_payment_succeeded)."""
        with self._lock:
            session = self.sessions[session_id]
            session["payment_status"] = "paid"
            self.payment_intents[session["payment_intent"]]["status"] = "succeeded"
            return json.loads(json.dumps(session))

    def expire(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] == "open":
                session["status"] = "expired"
            return json.loads(json.dumps(session))

    def charge_of(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            pi = self.payment_intents[self.sessions[session_id]["payment_intent"]]
            return json.loads(json.dumps(self.charges[pi["latest_charge"]]))

    # --- the API ---------------------------------------------------------------------

    def _payment_intent(self, session: dict[str, Any], status: str) -> dict[str, Any]:
        pi_id, charge_id = _new_id("pi"), _new_id("ch")
        amount = session["amount_total"]
        self.payment_intents[pi_id] = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount if status == "succeeded" else 0,
            "currency": session["currency"],
            "status": status,
            "latest_charge": charge_id,
            "metadata": session["payment_intent_data"].get("metadata", {}),
            "description": session["payment_intent_data"].get("description"),
        }
        self.charges[charge_id] = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_refunded": 0,
            "currency": session["currency"],
            "payment_intent": pi_id,
            "paid": True,
            "refunded": False,
            "status": "succeeded",
        }
        return self.payment_intents[pi_id]

    def handle(
        self, method: str, path: str, query: str, body: str, idem_key: str | None
    ) -> tuple[int, dict[str, Any], float]:
        """One API call: (status, JSON body, seconds to wait before answering)."""
        with self._lock:
            self.requests.append((method, path, idem_key))
            failure = None
            pending = [f for f in self._create_failures if f.path == path]
            if method == "POST" and pending:
                failure = pending[0]
                self._create_failures.remove(failure)
            if failure and failure.status:
                error = StripeError(failure.status, "api_error", "Injected failure")
                if failure.status == 402:
                    error = StripeError(402, "card_error", "Injected decline", "card_declined")
                return error.status, error.body(), 0.0
            delay = failure.hang_seconds if failure else 0.0
            if method == "POST" and idem_key and idem_key in self._idempotent:
                status, answer = self._idempotent[idem_key]
                return status, answer, delay
            try:
                status, answer = 200, self._route(method, path, query, decode_form(body))
            except StripeError as exc:
                status, answer = exc.status, exc.body()
            if method == "POST" and idem_key and status < 500:
                self._idempotent[idem_key] = (status, answer)
            return status, answer, delay

    def _route(self, method: str, path: str, query: str, form: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(form)
        if parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4 and method == "GET":
            return self._get(self.sessions, parts[3], "checkout.session")
        if parts[:3] == ["v1", "checkout", "sessions"] and parts[4:] == ["expire"]:
            session = self._get(self.sessions, parts[3], "checkout.session")
            if session["status"] != "open":
                raise StripeError(400, "invalid_request_error", "Only open sessions expire.")
            session["status"] = "expired"
            return session
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 3 and method == "GET":
            return self._get(self.payment_intents, parts[2], "payment_intent")
        if path == "/v1/refunds" and method == "POST":
            return self._create_refund(form)
        if path == "/v1/refunds" and method == "GET":
            pi = dict(parse_qsl(query)).get("payment_intent")
            found = [r for r in self.refunds.values() if r["payment_intent"] == pi]
            return {"object": "list", "data": found, "has_more": False, "url": "/v1/refunds"}
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({path})")

    @staticmethod
    def _get(table: dict[str, dict[str, Any]], key: str, kind: str) -> dict[str, Any]:
        if key not in table:
            raise StripeError(404, "invalid_request_error", f"No such {kind}: '{key}'")
        return table[key]

    def _create_session(self, form: dict[str, Any]) -> dict[str, Any]:
        now = int(self.clock())
        expires_at = int(form.get("expires_at") or now + MAX_EXPIRY)
        if not MIN_EXPIRY <= expires_at - now <= MAX_EXPIRY:
            raise StripeError(
                400,
                "invalid_request_error",
                "expires_at must be between 30 minutes and 24 hours from now",
                "parameter_invalid_integer",
            )
        for name in ("success_url", "line_items"):
            if not form.get(name):
                raise StripeError(400, "invalid_request_error", f"Missing required param: {name}")
        items = form["line_items"]
        amount = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items)
        session_id = f"cs_test_{secrets.token_hex(16)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": form.get("mode", "payment"),
            "amount_total": amount,
            "amount_subtotal": amount,
            "currency": items[0]["price_data"]["currency"],
            "customer_email": form.get("customer_email"),
            "client_reference_id": form.get("client_reference_id"),
            "metadata": form.get("metadata", {}),
            "payment_intent_data": form.get("payment_intent_data", {}),
            "line_items_sent": items,
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": form["success_url"],
            "cancel_url": form.get("cancel_url"),
            "created": now,
            "expires_at": expires_at,
            "livemode": False,
            "url": f"{self.base_url}/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return session

    def _create_refund(self, form: dict[str, Any]) -> dict[str, Any]:
        pi = self._get(self.payment_intents, form.get("payment_intent", ""), "payment_intent")
        charge = self.charges[pi["latest_charge"]]
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = int(form.get("amount") or remaining)
        if pi["status"] != "succeeded" or not 0 < amount <= remaining:
            raise StripeError(
                400, "invalid_request_error", "Refund amount is greater than unrefunded amount"
            )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": pi["currency"],
            "payment_intent": pi["id"],
            "charge": charge["id"],
            "status": "succeeded",
            "reason": form.get("reason"),
            "metadata": form.get("metadata", {}),
            "created": int(self.clock()),
        }
        self.refunds[refund["id"]] = refund
        return refund

    # --- the hosted page ------------------------------------------------------------

    def hosted_page(self, session_id: str) -> str:
        session = self.sessions[session_id]
        name = session["line_items_sent"][0]["price_data"]["product_data"]["name"]
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Stand-in Checkout</title><link rel="icon" href="data:,"></head><body>
<h1>Stand-in Checkout</h1><p>{html.escape(name)}</p><p>Amount: {html.escape(amount)}</p>
<p>Email: {html.escape(session["customer_email"] or "")}</p>
<form method="post" action="/pay/{session_id}"><button type="submit">Pay</button></form>
<p><a href="{html.escape(session["cancel_url"] or "/")}">Cancel</a></p></body></html>"""

    def pay_on_page(self, session_id: str) -> str:
        """The "Pay" button: complete, deliver the signed webhook, then redirect."""
        session = self.pay(session_id)
        if self.webhook_url:
            payload = self.event("checkout.session.completed", session)
            request = urllib.request.Request(
                self.webhook_url,
                data=payload,
                headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                self.deliveries.append((response.status, response.read().decode()))
        return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)


def _handler(state: StandInStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _body(self) -> str:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length).decode() if length else ""

        def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _api(self, method: str) -> None:
            url = urlsplit(self.path)
            if url.path.startswith("/pay/"):
                self._page(method, url.path.removeprefix("/pay/"))
                return
            body = self._body()
            if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                error = StripeError(401, "invalid_request_error", "Invalid API Key provided")
                self._send(401, json.dumps(error.body()).encode(), "application/json")
                return
            status, answer, delay = state.handle(
                method, url.path, url.query, body, self.headers.get("Idempotency-Key")
            )
            if delay:
                time.sleep(delay)
            # The client may have given up waiting (a timeout test).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(status, json.dumps(answer).encode(), "application/json")

        def _page(self, method: str, session_id: str) -> None:
            if session_id not in state.sessions:
                self._send(404, b"no such session", "text/plain")
            elif method == "POST":
                self._body()
                self._send(303, b"", "text/plain", Location=state.pay_on_page(session_id))
            else:
                page = state.hosted_page(session_id).encode()
                self._send(200, page, "text/html; charset=utf-8")

        def do_GET(self) -> None:
            self._api("GET")

        def do_POST(self) -> None:
            self._api("POST")

    return Handler


@contextmanager
def stand_in_stripe(clock: Callable[[], float] = time.time) -> Iterator[StandInStripe]:
    """Serve a StandInStripe on a free port; ``.base_url`` is its API base."""
    state = StandInStripe(clock=clock)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # Polled every 50 ms for shutdown(), not the default 500: each test stops one.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
