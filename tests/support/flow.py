"""Driving the booking flow over HTTP, the way a browser without JavaScript would."""

from __future__ import annotations

import re

from httpx2 import Response
from starlette.testclient import TestClient

CLIENT = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "212 555 0143"}


def submit_details(
    client: TestClient, slot_id: int, mini: str = "portraits", studio: str = "acme", **fields: str
) -> Response:
    return client.post(f"/{studio}/{mini}/book?slot={slot_id}", data={**CLIENT, **fields})


def token_from(response: Response) -> str:
    match = re.match(r"^(?:/embed)?/b/([^/?]+)", response.headers["location"])
    assert match, response.headers.get("location")
    return match.group(1)


def start(client: TestClient, slot_id: int, mini: str = "portraits", **fields: str) -> str:
    """Submit details for a slot; the booking token of the hold."""
    response = submit_details(client, slot_id, mini, **fields)
    assert response.status_code == 303, response.text
    return token_from(response)


def accept_quote(client: TestClient, token: str) -> Response:
    """Open the checkout (the one page after the details); it must show."""
    response = client.get(f"/b/{token}/quote")
    assert response.status_code == 200, response.text
    return response


def checkout(client: TestClient, token: str, method: str = "", **fields: str) -> Response:
    """Submit the checkout with ``method`` (none: the only one offered) and its fields."""
    data = {"method": method, **fields} if method else fields
    return client.post(f"/b/{token}/quote", data=data)


def pay_demo(client: TestClient, token: str, card: str = "4242 4242 4242 4242") -> Response:
    return checkout(client, token, "demo", card=card)


def pay_offline(client: TestClient, token: str) -> Response:
    return checkout(client, token, "offline")


def book_with_demo_card(client: TestClient, slot_id: int, mini: str = "portraits") -> str:
    token = start(client, slot_id, mini)
    response = pay_demo(client, token)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/b/{token}?done=booked"
    return token
