"""The embed's server side: loader, framing rules, origin checks, carried parameters, and the
booking's pages inside the widget."""

from __future__ import annotations

import gzip
import json
from urllib.parse import parse_qs, urlsplit

from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import CLIENT, pay_demo
from tests.support.queries import all_bookings
from tests.support.world import World
from widget_server.db.tables import studios

HOST = "https://jane.example"
EMBED = {"parent": HOST, "page": f"{HOST}/minis?x=1", "theme": "auto"}


def allow(db_url: str, origins: str) -> None:
    """The studio's allowed origins, changed as another process would: this one's cached
    read of the studio (web/availability_cache.py) shows it once a second old."""

    async def work(db: Database) -> None:
        await db.execute(
            studios.update().where(studios.c.slug == "acme").values(allowed_origins=origins)
        )

    run_db(db_url, work)


def test_loader_is_served_minified_short_cached_and_gzipped(client: TestClient) -> None:
    response = client.get("/embed.js", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["content-encoding"] == "gzip"
    body = response.content
    assert b"/*" not in body and b"\n  " not in body  # comments and indentation gone
    assert b"Minis" in body and b"postMessage" not in body  # the loader only listens
    assert len(gzip.compress(body, 9)) < 2048  # the goal: under 2 KB
    dialog = client.get("/embed-dialog.js")
    assert dialog.status_code == 200 and b'role","dialog' in dialog.content
    again = client.get("/embed.js", headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304


def test_embed_pages_may_be_framed_by_allowed_origins_only(
    client: TestClient, db_url: str, clock: FakeClock
) -> None:
    hosted = client.get("/acme/portraits")
    assert "frame-ancestors 'none'" in hosted.headers["content-security-policy"]
    assert hosted.headers["x-frame-options"] == "DENY"
    open_to_all = client.get("/embed/acme/portraits", params=EMBED)
    assert open_to_all.status_code == 200
    assert "frame-ancestors *" in open_to_all.headers["content-security-policy"]
    assert "x-frame-options" not in open_to_all.headers
    allow(db_url, "https://jane.example  https://www.jane.example:8443/")
    clock.advance(seconds=1)  # what this process read of the studio is a second old
    restricted = client.get("/embed/acme/portraits", params=EMBED)
    csp = restricted.headers["content-security-policy"]
    assert "frame-ancestors https://jane.example https://www.jane.example:8443" in csp


def test_the_iframe_posts_only_to_a_validated_parent(
    client: TestClient, db_url: str, clock: FakeClock
) -> None:
    marker = 'data-minis-parent="https://jane.example"'
    assert marker in client.get("/embed/acme/portraits", params=EMBED).text
    for bad in ("*", "javascript:alert(1)", "https://jane.example/path", "null", "", "ftp://x"):
        page = client.get("/embed/acme/portraits", params={**EMBED, "parent": bad}).text
        assert "data-minis-parent" not in page, bad
    allow(db_url, "https://other.example")
    clock.advance(seconds=1)
    assert "data-minis-parent" not in client.get("/embed/acme/portraits", params=EMBED).text


def test_links_and_forms_stay_in_the_embed_and_carry_its_parameters(
    client: TestClient, world: World
) -> None:
    params = {**EMBED, "color": "#112233", "utm_source": "news", "name": "Ada"}
    studio = client.get("/embed/acme", params=params).text
    assert 'href="/embed/acme/portraits?' in studio and "site-header" not in studio
    page = client.get("/embed/acme/portraits", params=params).text
    link = page.split('href="/embed/acme/portraits/book?slot=')[1].split('"')[0]
    carried = parse_qs(link.replace("&amp;", "&"))
    assert carried["parent"] == [HOST] and carried["color"] == ["#112233"]
    assert carried["utm_source"] == ["news"] and carried["name"] == ["Ada"]
    assert "--brand:#112233" in page
    slot_id = world.slots["portraits"][0]
    form = client.get("/embed/acme/portraits/book", params={**params, "slot": slot_id}).text
    assert 'action="/embed/acme/portraits/book?slot=' in form and 'value="Ada"' in form


def test_bad_theme_and_colour_fall_back(client: TestClient) -> None:
    page = client.get(
        "/embed/acme/portraits", params={**EMBED, "theme": "neon", "color": "red;}x{"}
    ).text
    assert 'class="embed theme-auto"' in page and "red;}" not in page


def test_slot_selected_event_carries_no_personal_data(client: TestClient, world: World) -> None:
    slot_id = world.slots["portraits"][0]
    form = client.get(
        "/embed/acme/portraits/book",
        params={**EMBED, "email": "ada@example.com", "slot": slot_id},
    ).text
    assert 'data-minis-event="slot-selected"' in form
    detail = json.loads(form.split('data-minis-detail="')[1].split('"')[0].replace("&#34;", '"'))
    assert detail == {"mini": "portraits", "start": "2026-11-26T14:00:00+00:00", "location": "Park"}


# What a browser sends with a form inside an iframe (pages can't set it themselves).
IN_A_FRAME = {"Sec-Fetch-Dest": "iframe"}


def _submit_in_embed(client: TestClient, slot_id: int, **params: str) -> str:
    response = client.post(
        "/embed/acme/portraits/book",
        params={**EMBED, **params, "slot": slot_id},
        data=CLIENT,
        headers=IN_A_FRAME,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/embed/b/")
    return location


def test_checkout_and_confirmation_stay_in_the_widget(
    client: TestClient, world: World, db_url: str
) -> None:
    checkout_url = _submit_in_embed(client, world.slots["portraits"][0])
    path, _, query = checkout_url.partition("?")
    token = path.split("/")[3]
    assert path == f"/embed/b/{token}/quote" and "parent=https" in query and "from=details" in query
    checkout = client.get(checkout_url)
    assert checkout.status_code == 200 and checkout.headers["cache-control"] == "no-store"
    assert (
        'class="embed' in checkout.text
        and "frame-ancestors *" in checkout.headers["content-security-policy"]
    )
    assert 'data-minis-event="lead-created"' in checkout.text
    assert "ada@example.com" not in checkout.text.split("data-minis-detail")[1].split(">")[0]
    # The form posts inside the widget, carrying the widget's parameters.
    assert f'action="/embed/b/{token}/quote?parent=https' in checkout.text
    assert all_bookings(db_url)[0]["return_url"] == f"{HOST}/minis?x=1"
    paid = client.post(
        checkout_url, data={"method": "demo", "card": "4242424242424242"}, headers=IN_A_FRAME
    )
    location = paid.headers["location"]
    assert location.startswith(f"/embed/b/{token}?") and "done=booked" in location
    confirmation = client.get(location)
    assert confirmation.status_code == 200 and 'class="embed' in confirmation.text
    assert 'data-minis-event="booked"' in confirmation.text
    reference = all_bookings(db_url)[0]["reference"]
    assert reference in confirmation.text.split("data-minis-detail")[1].split(">")[0]
    # Opened again later (not just booked): no second event.
    again = client.get(location.replace("done=booked", "done=x"))
    assert "data-minis-event" not in again.text


def test_the_old_handoff_url_shows_the_booking_in_the_widget(
    client: TestClient, world: World
) -> None:
    checkout_url = _submit_in_embed(client, world.slots["portraits"][0], tab="new")
    token = urlsplit(checkout_url).path.split("/")[3]
    held = client.get(f"/embed/b/{token}", params=EMBED)
    assert held.status_code == 303 and held.headers["location"].startswith(
        f"/embed/b/{token}/quote?"
    )


def test_errors_stay_in_the_iframe(client: TestClient, world: World, db_url: str) -> None:
    slot_id = world.slots["portraits"][0]
    params = {**EMBED, "slot": slot_id}
    response = client.post(
        "/embed/acme/portraits/book", params=params, data={**CLIENT, "email": "x"}
    )
    assert response.status_code == 422 and 'class="embed' in response.text
    assert all_bookings(db_url) == []
    _submit_in_embed(client, slot_id)
    taken = client.post(
        "/embed/acme/portraits/book", params=params, data={**CLIENT, "email": "b@example.com"}
    )
    assert taken.status_code == 409 and 'class="embed' in taken.text
    assert 'href="/embed/acme/portraits?' in taken.text and "parent=https" in taken.text


def test_back_to_site_only_for_an_allowed_matching_origin(
    client: TestClient, world: World, db_url: str
) -> None:
    def book(slot_id: int, **params: str) -> str:
        handoff_url = _submit_in_embed(client, slot_id, **params)
        token = urlsplit(handoff_url).path.split("/")[3]
        pay_demo(client, token)
        return token

    token = book(world.slots["portraits"][0])
    page = client.get(f"/b/{token}").text
    assert f'href="{HOST}/minis?x=1#minis-booked={token}"' in page
    assert "Back to jane.example" in page
    # A page on another origin than the parent is not remembered.
    other = book(world.slots["portraits"][1], page="https://evil.example/phish")
    assert "Back to" not in client.get(f"/b/{other}").text
    assert all_bookings(db_url)[1]["return_url"] == ""
    # Once the studio stops allowing the site, the link goes too.
    allow(db_url, "https://someone-else.example")
    assert "Back to" not in client.get(f"/b/{token}").text


def test_a_widget_url_opened_as_a_page_of_its_own_links_back_nowhere(
    client: TestClient, world: World, db_url: str
) -> None:
    """A phishing link to the widget's URL naming the attacker's site as the host page: the
    client books in a top-level page, so no "Back to" link (nor the reference) goes there."""
    slot_id = world.slots["portraits"][0]
    evil = {"parent": "https://evil.example", "page": "https://evil.example/login-phish"}
    for dest in ("document", None):
        response = client.post(
            "/embed/acme/portraits/book",
            params={**EMBED, **evil, "slot": slot_id},
            data={**CLIENT, "email": f"{dest}@example.com"},
            headers={"Sec-Fetch-Dest": dest} if dest else {},
        )
        assert response.status_code == 303
        token = urlsplit(response.headers["location"]).path.split("/")[3]
        pay_demo(client, token)
        page = client.get(f"/b/{token}").text
        assert "Back to" not in page and "evil.example" not in page
        slot_id = world.slots["portraits"][1]
    assert [b["return_url"] for b in all_bookings(db_url)] == ["", ""]


def test_hostile_embed_parameters(client: TestClient, world: World) -> None:
    slot_id = world.slots["portraits"][0]
    hostile = {
        "parent": '"><script>alert(1)</script>',
        "page": "javascript:alert(1)",
        "theme": "<b>",
        "color": "#12345g",
        "tab": "<x>",
        "utm_source": "<script>",
    }
    for path in ("/embed/acme", "/embed/acme/portraits", "/embed/acme/portraits/book"):
        response = client.get(path, params={**hostile, "slot": str(slot_id)})
        assert response.status_code == 200
        assert "<script>alert" not in response.text and "javascript:" not in response.text
    assert client.get("/embed/nope/portraits").status_code == 404
    assert client.get("/embed/b/forged-token").status_code == 404


def test_embed_pages_name_their_hosted_page_as_canonical(client: TestClient) -> None:
    """Search engines list the hosted page, not the widget's framed copy of it (whose
    parameters name the host site)."""
    base = client.app.state.settings.base_url  # type: ignore[attr-defined]
    for embedded, hosted in [
        ("/embed/acme", "/acme"),
        ("/embed/acme/portraits", "/acme/portraits"),
    ]:
        page = client.get(embedded, params=EMBED)
        assert page.status_code == 200
        assert f'<link rel="canonical" href="{base}{hosted}">' in page.text
        assert "noindex" not in page.text
        assert 'rel="canonical"' not in client.get(hosted).text
