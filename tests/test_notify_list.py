"""The "notify me" list: double opt-in, announcements through the outbox at a steady rate
and once each, one-click unsubscribe (RFC 8058) that takes effect at once, export."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.queries import rows
from tests.support.world import World
from widget_server.db.outbox import OutboxEmail
from widget_server.db.tables import outbox, subscribers
from widget_server.mail.compose import build_message
from widget_server.mail.render import RenderError, render_email


def _state(client: TestClient) -> Any:
    app: Any = client.app
    return app.state


def _render(client: TestClient, db_url: str, email_id: int) -> Any:
    async def work(db: Database) -> Any:
        row = await db.fetch_one(outbox.select().where(outbox.c.id == email_id))
        assert row is not None
        state = _state(client)
        return await render_email(
            db,
            OutboxEmail.from_row(row),
            base_url="http://book.test",
            tokens=state.tokens,
            now=state.clock(),
        )

    return run_db(db_url, work)


def _emails(db_url: str, kind: str) -> list[dict[str, Any]]:
    return rows(db_url, sa.select(outbox).where(outbox.c.kind == kind).order_by(outbox.c.id))


def _subscribe(client: TestClient, db_url: str, email: str) -> None:
    asked = client.post("/acme/notify", data={"email": email})
    assert asked.status_code == 200 and "Check your inbox" in asked.text
    confirm = _emails(db_url, "notify_confirm")[-1]
    text = _render(client, db_url, confirm["id"]).text
    path = re.search(r"http://book\.test(/notify/\S+/confirm)", text)
    assert path, text
    assert "Yes, tell me" in client.get(path.group(1)).text  # a GET changes nothing
    assert "You're on the list" in client.post(path.group(1)).text


def test_double_opt_in_then_an_announcement_once_each_with_one_click_unsubscribe(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    assert "Notify me" in client.get("/acme").text
    _subscribe(client, db_url, "ann@example.com")
    _subscribe(client, db_url, "bo@example.com")
    client.post("/acme/notify", data={"email": "never@example.com"})  # never confirms
    client.post("/acme/notify", data={"email": "ann@example.com"})  # already on: no email
    assert [e["recipient"] for e in _emails(db_url, "notify_confirm")] == [
        "ann@example.com",
        "bo@example.com",
        "never@example.com",
    ]
    assert client.post("/acme/notify", data={"email": "nope"}).status_code == 422

    page = client.get("/admin/notify")
    assert "2 confirmed" in page.text and "Not confirmed" in page.text
    csrf = csrf_from(page.text)
    mini = str(acme.mini_ids["portraits"])
    for _ in range(2):  # pressed twice: nobody gets it twice
        done = client.post("/admin/notify/announce", data={"csrf": csrf, "mini": mini})
        assert done.status_code == 303
    sent = _emails(db_url, "announcement")
    assert [e["recipient"] for e in sent] == ["ann@example.com", "bo@example.com"]
    # A steady rate: one a second, in the outbox's own schedule.
    gap = sent[1]["next_attempt_at"] - sent[0]["next_attempt_at"]
    assert gap == timedelta(seconds=1)

    rendered = _render(client, db_url, sent[1]["id"])
    assert rendered.subject == "New from Acme Photo: Portraits"
    message = build_message(
        rendered, mail_from="bookings@minis.test", message_id="<x@minis.test>", date=clock()
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(
        r"<http://book\.test(/notify/\S+/unsubscribe)>", message["List-Unsubscribe"]
    )
    assert unsubscribe
    # The mail app's one-click POST: no page, no token of ours beyond the URL.
    one_click = client.post(
        unsubscribe.group(1),
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200 and "unsubscribed" in one_click.text
    # At once: Bo's announcement, not yet sent, never will be.
    with pytest.raises(RenderError):
        _render(client, db_url, sent[1]["id"])
    assert _render(client, db_url, sent[0]["id"]).recipient == "ann@example.com"
    states = rows(
        db_url, sa.select(subscribers.c.email, subscribers.c.state).order_by(subscribers.c.id)
    )
    assert [(r["email"], r["state"]) for r in states] == [
        ("ann@example.com", "confirmed"),
        ("bo@example.com", "unsubscribed"),
        ("never@example.com", "pending"),
    ]
    export = client.get("/admin/notify.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert "bo@example.com,unsubscribed" in export.text
    assert client.get("/notify/forged/unsubscribe").status_code == 404


def test_the_countdown_page_offers_the_notify_me_form(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    from widget_server.db.tables import mini_sessions

    async def schedule(db: Database) -> None:
        await db.execute(
            mini_sessions.update()
            .where(mini_sessions.c.slug == "portraits")
            .values(opens_at=datetime(2026, 12, 1, tzinfo=UTC))
        )

    run_db(db_url, schedule)
    page = client.get("/acme/portraits")
    assert "Booking opens" in page.text and 'action="/acme/notify"' in page.text


def _prompt(page: str) -> str:
    """The "tell your notify-me list" prompt's text, or "" when the page has none."""
    found = re.search(r'<section class="panel announce-prompt".*?</section>', page, re.S)
    return (
        html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))) if found else ""
    )


def test_publishing_a_mini_session_offers_to_announce_it_to_the_list(
    client: TestClient, acme: World, db_url: str
) -> None:
    from tests.test_admin_minis import EVERYTHING, created_id, post

    _subscribe(client, db_url, "ann@example.com")
    _subscribe(client, db_url, "bo@example.com")
    client.post("/acme/notify", data={"email": "never@example.com"})  # never confirms

    # Saved as a draft: nothing to announce yet.
    draft = post(client, "/admin/minis/new", {**EVERYTHING, "visibility": "draft"})
    mini_id = created_id(draft)
    assert "announce" not in draft.headers["location"]
    assert _prompt(client.get(draft.headers["location"]).text) == ""

    # Made public: the next page offers the announcement, counting confirmed clients only.
    edit = f"/admin/minis/{mini_id}/edit"
    published = post(client, edit, {**EVERYTHING, "visibility": "public"})
    assert published.status_code == 303
    assert published.headers["location"] == f"{edit}?done=saved&announce=1"
    page = client.get(published.headers["location"]).text
    prompt = _prompt(page)
    assert "Spring Minis is published. 2 clients on your notify-me list" in prompt
    assert "Announce it to 2 clients" in prompt
    form = re.search(r'<section class="panel announce-prompt".*?</section>', page, re.S)
    assert form and f'name="mini" value="{mini_id}"' in form.group(0)
    announced = client.post(
        "/admin/notify/announce", data={"csrf": csrf_from(page), "mini": str(mini_id)}
    )
    assert announced.headers["location"] == "/admin/notify?queued=2"
    sent = [
        e
        for e in _emails(db_url, "announcement")
        if f'"mini_session_id": {mini_id}' in e["payload"]
    ]
    assert sorted(e["recipient"] for e in sent) == ["ann@example.com", "bo@example.com"]

    # Saved again while public: no prompt. The prompt's page after the announcement says so.
    again = post(client, edit, {**EVERYTHING, "visibility": "public"})
    assert again.headers["location"] == f"{edit}?done=saved"
    told = _prompt(client.get(f"{edit}?done=saved&announce=1").text)
    assert "All 2 clients on your notify-me list have already been told about Spring Minis" in told
    assert "Announce it" not in told

    # Created straight as public (unlisted counts: it has a link to share): the mini
    # session's page offers it.
    created = post(client, "/admin/minis/new", {**EVERYTHING, "slug": "summer", "title": "Summer"})
    assert created.headers["location"].endswith("?done=saved&announce=1")
    assert "Announce it to 2 clients" in _prompt(client.get(created.headers["location"]).text)


def test_the_publish_prompt_says_when_nobody_has_confirmed(
    client: TestClient, acme: World, db_url: str
) -> None:
    from tests.test_admin_minis import EVERYTHING, post

    client.post("/acme/notify", data={"email": "never@example.com"})
    created = post(client, "/admin/minis/new", EVERYTHING)
    prompt = _prompt(client.get(created.headers["location"]).text)
    assert "Nobody on your notify-me list has confirmed yet" in prompt
    assert "Announce it" not in prompt
