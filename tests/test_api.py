"""The JSON API over HTTP: keys, public reads with CORS, problem details, pages and
filters, ETags, Idempotency-Key, and every write through the dashboard's own use cases."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.api import bearer, make_key, make_revoked_key
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import pay_demo, start
from tests.support.queries import all_bookings, bookings_on, taken
from tests.support.world import World
from tests.test_intake import add_questions
from widget_server.db.tables import questions

CLIENT = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+12125550143"}
PROBLEM = "application/problem+json"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"/api/v1/docs#problem-{code}" and body["title"] and body["detail"]
    return body


@pytest.fixture
def write_key(db_url: str, clock: FakeClock, world: World) -> str:
    return make_key(db_url, clock(), access="write")


@pytest.fixture
def read_key(db_url: str, clock: FakeClock, world: World) -> str:
    return make_key(db_url, clock(), access="read")


def _book(client: TestClient, key: str, slot_id: int, **extra: Any) -> Any:
    return client.post(
        "/api/v1/bookings", json={"slot_id": slot_id, **CLIENT, **extra}, headers=bearer(key)
    )


# ---- public reads ----------------------------------------------------------------------


def test_public_mini_sessions_with_spots_left_need_no_key_and_allow_any_origin(
    client: TestClient, world: World
) -> None:
    listed = client.get("/api/v1/studios/acme/minis", headers={"Origin": "https://site.test"})
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == "*"
    slugs = [m["slug"] for m in listed.json()["data"]]
    # Public ones only: unlisted, draft and the other studio's are not on the booking site.
    assert "portraits" in slugs and "hidden" not in slugs and "draft-one" not in slugs
    one = client.get("/api/v1/studios/acme/minis/portraits").json()
    slot_ids = [s["id"] for d in one["days"] for s in d["slots"] if s["bookable"]]
    assert world.slots["portraits"][0] in slot_ids
    slot = next(
        s for d in one["days"] for s in d["slots"] if s["id"] == world.slots["portraits"][0]
    )
    assert slot["spots_left"] == 1 and slot["capacity"] == 1
    assert one["price"] == {"amount_minor": 20000, "currency": "USD"}
    assert client.get("/api/v1/studios/acme/minis/hidden").status_code == 200  # unlisted: by link
    _problem(client.get("/api/v1/studios/acme/minis/draft-one"), 404, "not_found")
    _problem(client.get("/api/v1/studios/nobody/minis"), 404, "not_found")
    preflight = client.options(
        "/api/v1/studios/acme/minis",
        headers={"Origin": "https://site.test", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_spots_left_follow_bookings(client: TestClient, world: World, write_key: str) -> None:
    slot_id = world.slots["family"][0]

    def spots() -> int:
        mini = client.get("/api/v1/studios/acme/minis/family").json()
        return next(s["spots_left"] for d in mini["days"] for s in d["slots"] if s["id"] == slot_id)

    assert spots() == 3
    assert _book(client, write_key, slot_id).status_code == 201
    assert spots() == 2


def test_etags_answer_304_until_something_changes(
    client: TestClient, world: World, write_key: str
) -> None:
    first = client.get("/api/v1/studios/acme/minis/family")
    etag = first.headers["etag"]
    again = client.get("/api/v1/studios/acme/minis/family", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    keyed = client.get("/api/v1/bookings", headers=bearer(write_key))
    assert keyed.headers["cache-control"] == "private, no-cache"
    assert (
        client.get(
            "/api/v1/bookings",
            headers={**bearer(write_key), "If-None-Match": keyed.headers["etag"]},
        ).status_code
        == 304
    )
    _book(client, write_key, world.slots["family"][0])
    changed = client.get("/api/v1/studios/acme/minis/family", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


# ---- keys ------------------------------------------------------------------------------


def test_wrong_revoked_missing_read_only_and_other_studios_keys_are_refused(
    client: TestClient, db_url: str, clock: FakeClock, world: World, read_key: str
) -> None:
    body = _problem(client.get("/api/v1/bookings"), 401, "missing_api_key")
    assert "authorization" not in str(body).lower() or "Bearer" in body["detail"]
    assert client.get("/api/v1/bookings").headers["www-authenticate"].startswith("Bearer")
    _problem(client.get("/api/v1/bookings", headers=bearer("mk_nope")), 401, "invalid_api_key")
    _problem(client.get("/api/v1/bookings", headers=bearer("x" * 5000)), 401, "invalid_api_key")
    revoked = make_revoked_key(db_url, clock())
    _problem(client.get("/api/v1/bookings", headers=bearer(revoked)), 401, "revoked_api_key")
    # A key in the query string is never read (it would end up in access logs).
    _problem(client.get(f"/api/v1/bookings?api_key={read_key}"), 401, "missing_api_key")
    assert client.get("/api/v1/bookings", headers=bearer(read_key)).status_code == 200
    slot_id = world.slots["portraits"][0]
    _problem(_book(client, read_key, slot_id), 403, "read_only_key")
    assert taken(db_url, slot_id) == 0
    # Another studio's key sees none of Acme's bookings, and can't touch them.
    acme_key = make_key(db_url, clock(), "acme")
    booking = _book(client, acme_key, slot_id).json()
    rival_key = make_key(db_url, clock(), "rival")
    assert client.get("/api/v1/bookings", headers=bearer(rival_key)).json()["data"] == []
    for path in (f"/api/v1/bookings/{booking['id']}", f"/api/v1/leads/{booking['lead_id']}"):
        _problem(client.get(path, headers=bearer(rival_key)), 404, "not_found")
    cancel = client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", json={}, headers=bearer(rival_key)
    )
    _problem(cancel, 404, "not_found")
    _problem(_book(client, rival_key, world.slots["family"][0]), 404, "not_found")
    assert all_bookings(db_url)[0]["status"] == "booked"


def test_last_used_is_noted(client: TestClient, db_url: str, read_key: str) -> None:
    from tests.support.queries import rows
    from widget_server.db.tables import api_keys

    assert rows(db_url, api_keys.select())[0]["last_used_at"] is None
    client.get("/api/v1/leads", headers=bearer(read_key))
    assert rows(db_url, api_keys.select())[0]["last_used_at"] is not None


# ---- writes ----------------------------------------------------------------------------


def test_create_a_booking_books_with_an_offline_payment_owed(
    client: TestClient, db_url: str, world: World, write_key: str
) -> None:
    slot_id = world.slots["portraits"][0]
    created = _book(client, write_key, slot_id, utm={"utm_source": "crm"})
    assert created.status_code == 201
    booking = created.json()
    assert booking["status"] == "booked" and booking["client"]["email"] == CLIENT["email"]
    assert [(p["method"], p["status"], p["amount_minor"]) for p in booking["payments"]] == [
        ("offline", "pending", 20000)
    ]
    assert [e["kind"] for e in booking["events"]] == ["hold_created", "payment_recorded", "booked"]
    assert {e["kind"] for e in booking["emails"]} == {"booked", "new_booking"}
    assert booking["pay_url"] is None and taken(db_url, slot_id) == 1
    # The slot is full now: the next client is refused, and nothing is written.
    again = _book(client, write_key, slot_id, email="grace@example.com")
    assert _problem(again, 409, "slot_unavailable")["reason"] == "taken"
    assert len(bookings_on(db_url, slot_id)) == 1
    lead = client.get(f"/api/v1/leads/{booking['lead_id']}", headers=bearer(write_key)).json()
    assert lead["utm"] == {"utm_source": "crm"} and lead["booking_ids"] == [booking["id"]]


def test_a_held_booking_gives_the_clients_payment_link(
    client: TestClient, world: World, write_key: str
) -> None:
    booking = _book(client, write_key, world.slots["portraits"][0], status="held").json()
    assert booking["status"] == "held" and booking["hold_expires_at"]
    assert booking["pay_url"].startswith("http") and booking["pay_url"].endswith("/quote")
    quote_path = "/" + booking["pay_url"].split("://", 1)[1].split("/", 1)[1]
    quote = client.get(quote_path)
    assert quote.status_code == 200 and "Portraits" in quote.text


def test_bookings_carry_the_answers_as_asked_and_the_events(
    client: TestClient, db_url: str, world: World, read_key: str
) -> None:
    ids = add_questions(
        db_url,
        "portraits",
        [
            ("short", "Who is coming?", True, []),
            ("several", "Which shots?", False, ["Whole family", "Kids only", "Dog"]),
            ("yesno", "Bringing a pet?", False, []),
            ("date", "Youngest's birthday", False, []),
        ],
    )
    token = start(
        client,
        world.slots["portraits"][0],
        **{
            f"q{ids[0]}": "Ada, Ben <b>& Cy</b>",
            f"q{ids[1]}": ["Dog", "Whole family"],  # type: ignore[dict-item]
            f"q{ids[2]}": "yes",
        },
    )
    assert pay_demo(client, token).status_code == 303
    # The photographer rewords a question afterwards: the answer keeps what was asked.
    run_db(
        db_url,
        lambda db: db.execute(
            questions.update().where(questions.c.id == ids[0]).values(label="Names, please")
        ),
    )
    expected = [
        {
            "question_id": ids[0],
            "question": "Who is coming?",
            "kind": "short",
            "value": "Ada, Ben <b>& Cy</b>",
            "values": ["Ada, Ben <b>& Cy</b>"],
        },
        {
            "question_id": ids[1],
            "question": "Which shots?",
            "kind": "several",
            "value": "Whole family\nDog",
            "values": ["Whole family", "Dog"],
        },
        {
            "question_id": ids[2],
            "question": "Bringing a pet?",
            "kind": "yesno",
            "value": "Yes",
            "values": ["Yes"],
        },
        {
            "question_id": ids[3],
            "question": "Youngest's birthday",
            "kind": "date",
            "value": "",
            "values": [],
        },
    ]
    [listed] = client.get("/api/v1/bookings", headers=bearer(read_key)).json()["data"]
    assert listed["answers"] == expected
    one = client.get(f"/api/v1/bookings/{listed['id']}", headers=bearer(read_key)).json()
    assert one["answers"] == expected
    kinds = [e["kind"] for e in one["events"]]
    assert kinds[0] == "hold_created" and "quote_accepted" in kinds and kinds[-1] == "booked"
    assert all(e["at"] and isinstance(e["detail"], dict) for e in one["events"])


def test_bad_bodies_are_explained(client: TestClient, world: World, write_key: str) -> None:
    headers = {**bearer(write_key), "content-type": "application/json"}
    _problem(
        client.post("/api/v1/bookings", content=b"{nope", headers=headers), 400, "invalid_json"
    )
    _problem(client.post("/api/v1/bookings", content=b"[1]", headers=headers), 400, "invalid_json")
    body = _problem(
        client.post("/api/v1/bookings", json={"slot_id": "x"}, headers=bearer(write_key)),
        422,
        "invalid_request",
    )
    assert {e["location"] for e in body["errors"]} >= {"body.slot_id", "body.name"}
    details = _book(client, write_key, world.slots["portraits"][0], email="not-an-email")
    assert [e["location"] for e in _problem(details, 422, "invalid_details")["errors"]] == [
        "body.email"
    ]
    _problem(_book(client, write_key, 2**31), 422, "invalid_request")
    _problem(_book(client, write_key, world.other_studio_slot), 404, "not_found")
    _problem(_book(client, write_key, world.past_slot), 409, "slot_unavailable")


def test_cancel_move_mark_paid_and_close_the_lead(
    client: TestClient, db_url: str, world: World, write_key: str
) -> None:
    first, second = world.slots["portraits"][:2]
    booking = _book(client, write_key, first).json()
    path = f"/api/v1/bookings/{booking['id']}"
    moved = client.post(f"{path}/move", json={"slot_id": second}, headers=bearer(write_key))
    assert moved.status_code == 200 and moved.json()["slot_id"] == second
    assert taken(db_url, first) == 0 and taken(db_url, second) == 1
    _problem(
        client.post(f"{path}/move", json={"slot_id": second}, headers=bearer(write_key)),
        409,
        "same_slot",
    )
    payment_id = booking["payments"][0]["id"]
    paid = client.post(f"{path}/payments/{payment_id}/mark-paid", headers=bearer(write_key))
    assert paid.status_code == 200 and paid.json()["payments"][0]["status"] == "succeeded"
    assert paid.json()["paid_minor"] == 20000
    lead = f"/api/v1/leads/{booking['lead_id']}/close"
    _problem(client.post(lead, headers=bearer(write_key)), 409, "lead_live")
    cancelled = client.post(
        f"{path}/cancel", json={"refund": "full", "message": "Rain"}, headers=bearer(write_key)
    )
    assert cancelled.status_code == 200, cancelled.text
    result = cancelled.json()
    assert result["booking"]["status"] == "cancelled" and result["refunds_pending"] == 0
    assert [r["amount_minor"] for r in result["booking"]["refunds"]] == [20000]
    assert taken(db_url, second) == 0
    _problem(client.post(f"{path}/cancel", json={}, headers=bearer(write_key)), 409, "wrong_state")
    closed = client.post(lead, headers=bearer(write_key))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


# ---- pages, filters, idempotency --------------------------------------------------------


def test_pages_follow_the_cursor_and_filters_narrow(
    client: TestClient, clock: FakeClock, world: World, write_key: str
) -> None:
    slots = world.slots["family"][:3]
    made = []
    for n, slot_id in enumerate(slots):
        made.append(_book(client, write_key, slot_id, email=f"c{n}@example.com").json()["id"])
        clock.advance(minutes=10)
    seen, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/bookings", params=params, headers=bearer(write_key)).json()
        seen += [b["id"] for b in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    middle = client.get(
        "/api/v1/bookings",
        params={"created_after": (clock().replace(microsecond=0)).isoformat()},
        headers=bearer(write_key),
    ).json()
    assert middle["data"] == []
    cancelled = client.get(
        "/api/v1/bookings", params={"status": "cancelled"}, headers=bearer(write_key)
    ).json()
    assert cancelled["data"] == []
    _problem(
        client.get("/api/v1/bookings", params={"cursor": "forged"}, headers=bearer(write_key)),
        422,
        "invalid_request",
    )
    _problem(
        client.get("/api/v1/bookings", params={"status": "nope"}, headers=bearer(write_key)),
        422,
        "invalid_request",
    )
    naive = client.get(
        "/api/v1/bookings",
        params={"created_after": "2026-01-01T00:00:00"},
        headers=bearer(write_key),
    )
    _problem(naive, 422, "invalid_request")
    leads = client.get("/api/v1/leads", params={"limit": "1"}, headers=bearer(write_key)).json()
    assert len(leads["data"]) == 1 and leads["next_cursor"]


def test_idempotency_key_replays_the_first_answer(
    client: TestClient, db_url: str, clock: FakeClock, world: World, write_key: str
) -> None:
    slot_id = world.slots["family"][0]
    headers = {**bearer(write_key), "Idempotency-Key": "crm-42"}
    body = {"slot_id": slot_id, **CLIENT}
    first = client.post("/api/v1/bookings", json=body, headers=headers)
    replay = client.post("/api/v1/bookings", json=body, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json() and replay.headers["idempotent-replayed"] == "true"
    assert len(bookings_on(db_url, slot_id)) == 1
    other = client.post("/api/v1/bookings", json={**body, "name": "Someone Else"}, headers=headers)
    _problem(other, 422, "idempotency_key_reused")
    # A refusal is a first answer too: replayed as it was, even once the slot has room.
    full_slot = world.slots["portraits"][0]
    _book(client, write_key, full_slot, email="first@example.com")
    taken_headers = {**bearer(write_key), "Idempotency-Key": "late"}
    late = client.post(
        "/api/v1/bookings", json={"slot_id": full_slot, **CLIENT}, headers=taken_headers
    )
    _problem(late, 409, "slot_unavailable")
    assert (
        client.post(
            "/api/v1/bookings", json={"slot_id": full_slot, **CLIENT}, headers=taken_headers
        ).json()
        == late.json()
    )
    _problem(
        client.post("/api/v1/bookings", json=body, headers={**headers, "Idempotency-Key": "a b"}),
        400,
        "invalid_idempotency_key",
    )
    assert len(all_bookings(db_url)) == 2
    # Keys are per studio: Rival's key with the same Idempotency-Key is its own request.
    rival = {**bearer(make_key(db_url, clock(), "rival")), "Idempotency-Key": "crm-42"}
    theirs = {"slot_id": world.other_studio_slot, **CLIENT}
    assert client.post("/api/v1/bookings", json=theirs, headers=rival).status_code == 201
    assert len(all_bookings(db_url)) == 3


def test_openapi_document_and_reference_docs(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    create = document["paths"]["/api/v1/bookings"]["post"]
    schema = document["components"]["schemas"]["NewBooking"]
    assert create["requestBody"]["required"] and set(schema["required"]) >= {"slot_id", "email"}
    assert schema["properties"]["slot_id"]["maximum"] == 2**31 - 1
    assert document["paths"]["/api/v1/studios/{studio}/minis"]["get"]["security"] == []
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    for text in (
        "Book a client on a slot",
        "problem-slot_unavailable",
        "NewBooking",
        "Idempotency-Key",
    ):
        assert text in docs.text
    assert "<script" not in docs.text and "https://cdn" not in docs.text


def test_unknown_api_paths_and_methods_are_problems(client: TestClient) -> None:
    _problem(client.get("/api/v1/nothing"), 404, "not_found")
    _problem(client.delete("/api/v1/bookings"), 405, "method_not_allowed")
