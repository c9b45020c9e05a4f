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
    match = re.match(r"^/b/([^/]+)", response.headers["location"])
    assert match, response.headers.get("location")
    return match.group(1)


def start(client: TestClient, slot_id: int, mini: str = "portraits", **fields: str) -> str:
    """Submit details for a slot; the booking token of the hold."""
    response = submit_details(client, slot_id, mini, **fields)
    assert response.status_code == 303, response.text
    return token_from(response)


def accept_quote(client: TestClient, token: str) -> Response:
    response = client.post(f"/b/{token}/quote")
    assert response.status_code == 303, response.text
    return response


def pay_demo(client: TestClient, token: str, card: str = "4242 4242 4242 4242") -> Response:
    return client.post(f"/b/{token}/pay/demo", data={"card": card})


def book_with_demo_card(client: TestClient, slot_id: int, mini: str = "portraits") -> str:
    token = start(client, slot_id, mini)
    accept_quote(client, token)
    response = pay_demo(client, token)
    assert response.status_code == 303 and response.headers["location"] == f"/b/{token}"
    return token
