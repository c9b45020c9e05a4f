"""Locations in the dashboard: list, add, edit, archive; time zones that can't move under
upcoming slots; another studio's locations are a 404."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.support.admin import ACME_EMAIL, RIVAL_EMAIL, csrf_from, log_in
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.queries import rows
from tests.support.world import World
from widget_server.db.tables import locations, studios
from widget_server.studio.locations import active_locations


def location_id(db_url: str, name: str) -> int:
    [row] = rows(db_url, sa.select(locations.c.id).where(locations.c.name == name))
    return int(row["id"])


def location_row(db_url: str, name: str) -> dict[str, Any]:
    [row] = rows(db_url, sa.select(locations).where(locations.c.name == name))
    return row


def all_locations(db_url: str) -> list[dict[str, Any]]:
    return rows(db_url, sa.select(locations).order_by(locations.c.id))


def post(client: TestClient, path: str, **data: str) -> Any:
    token = csrf_from(client.get("/admin/locations").text)
    return client.post(path, data={"csrf": token, **data})


def location_form(**changes: str) -> dict[str, str]:
    return {
        "name": "Beach",
        "address": "1 Ocean Dr\nMiami",
        "map_url": "https://maps.example/?q=beach",
        "notes": "Meet by the lifeguard tower.",
        "timezone": "America/New_York",
        **changes,
    }


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error shown for {field}"
    return unescape(match.group(1))


def acme_active(db_url: str) -> list[str]:
    async def work(db: Any) -> list[str]:
        studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == "acme"))
        return [loc.name for loc in await active_locations(db, studio_id)]

    return run_db(db_url, work)


def test_listing_and_adding_locations(client: TestClient, acme: World, db_url: str) -> None:
    html = client.get("/admin/locations").text
    assert "Park" in html and "Meadow" in html and "Tiergarten" not in html
    assert 'href="/admin/locations" aria-current="page">Locations</a>' in html
    # Park has every mini session's day in two days, plus today's (with slots still to come)
    assert re.search(r"Park</strong></a>\s*<span[^>]*>[^<]*· 7 upcoming session days", html)
    assert re.search(r"Meadow</strong></a>\s*<span[^>]*>[^<]*· 1 upcoming session day<", html)
    # adding one
    form = client.get("/admin/locations/new").text
    # the studio's time zone is the default
    assert 'list="time-zone-names" value="Eastern Time — New York"' in form  # the studio's
    response = post(client, "/admin/locations/new", **location_form(timezone="America/Chicago"))
    assert response.status_code == 303
    new_id = location_id(db_url, "Beach")
    assert response.headers["location"] == f"/admin/locations/{new_id}?done=added"
    row = location_row(db_url, "Beach")
    assert row["address"] == "1 Ocean Dr\nMiami" and row["timezone"] == "America/Chicago"
    assert row["archived"] is False
    page = client.get(response.headers["location"]).text
    assert "Location added." in page and "No upcoming session days use it." in page
    assert "Beach" in acme_active(db_url)


def test_bad_location_input_is_explained_and_kept(
    client: TestClient, acme: World, db_url: str
) -> None:
    before = all_locations(db_url)
    cases = [
        ("name", "  ", "Please give the location a name."),
        ("name", "x" * 201, "under 200 characters"),
        ("address", "x" * 1001, "under 1000 characters"),
        ("notes", "x" * 2001, "under 2000 characters"),
        ("map_url", "javascript:alert(1)", "starting with https://"),
        ("map_url", "data:text/html,<script>alert(1)</script>", "starting with https://"),
        ("map_url", "//evil.example/x", "starting with https://"),
        ("map_url", "https://" + "x" * 2000, "too long"),
        ("map_url", "https://maps.example/a b", "no spaces"),
        ("timezone", "Mars/Base", "time zone from the list"),
        ("timezone", "", "time zone from the list"),
    ]
    for field, value, message in cases:
        kept = {} if field == "notes" else {"notes": "kept"}
        response = post(client, "/admin/locations/new", **location_form(**{field: value, **kept}))
        assert response.status_code == 400, (field, value)
        assert message in field_error(response.text, field), (field, value)
        if field != "notes":
            assert ">kept</textarea>" in response.text
    injected = post(
        client, "/admin/locations/new", **location_form(name="<script>x</script>", timezone="?")
    )
    assert injected.status_code == 400 and "<script>x" not in injected.text
    assert "&lt;script&gt;x&lt;/script&gt;" in injected.text
    bare = post(client, "/admin/locations/new")  # nothing but the token
    assert bare.status_code == 400 and field_error(bare.text, "name")
    assert all_locations(db_url) == before


def test_editing_a_location_but_not_its_time_zone_under_upcoming_slots(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    park = location_id(db_url, "Park")
    page = client.get(f"/admin/locations/{park}").text
    assert 'value="Park"' in page and "7 upcoming session days" in page
    response = post(
        client,
        f"/admin/locations/{park}",
        **location_form(name="Central Park", timezone="America/New_York", map_url=""),
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/locations/{park}?done=saved"
    row = location_row(db_url, "Central Park")
    assert row["map_url"] == "" and row["notes"] == "Meet by the lifeguard tower."
    # the client's pages show the new name for the days already there
    assert "Central Park" in client.get("/acme/portraits").text
    # the time zone cannot move under upcoming slots
    meadow = location_id(db_url, "Meadow")
    refused = post(
        client,
        f"/admin/locations/{meadow}",
        **location_form(name="Meadow renamed", timezone="Europe/London"),
    )
    assert refused.status_code == 400
    message = field_error(refused.text, "timezone")
    assert "1 upcoming session day at this location still has times to come" in message
    assert "Keep America/Denver" in message
    assert 'value="Meadow renamed"' in refused.text  # the input is kept
    row = location_row(db_url, "Meadow")  # and nothing changed, not even the name
    assert row["timezone"] == "America/Denver"
    # a location with no upcoming days may change its time zone
    post(client, "/admin/locations/new", **location_form())
    beach = location_id(db_url, "Beach")
    moved = post(client, f"/admin/locations/{beach}", **location_form(timezone="Europe/London"))
    assert moved.status_code == 303
    assert location_row(db_url, "Beach")["timezone"] == "Europe/London"

    # once the days there are past, it may move
    clock.advance(days=5)  # the meadow's only day was in three days
    log_in(client)  # a dashboard session lasts 12 hours
    response = post(
        client,
        f"/admin/locations/{meadow}",
        **location_form(name="Meadow", timezone="America/Phoenix"),
    )
    assert response.status_code == 303
    assert location_row(db_url, "Meadow")["timezone"] == "America/Phoenix"


def test_archiving_and_bringing_back(client: TestClient, acme: World, db_url: str) -> None:
    meadow = location_id(db_url, "Meadow")
    page = client.get(f"/admin/locations/{meadow}").text
    assert "1 upcoming session day still uses it." in page
    response = post(client, f"/admin/locations/{meadow}/archive")
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/locations/{meadow}?done=archived"
    assert location_row(db_url, "Meadow")["archived"] is True
    assert acme_active(db_url) == ["Park"]
    listing = client.get("/admin/locations").text
    assert listing.index("Park") < listing.index("Archived") < listing.index("Meadow")
    assert "still 1 upcoming session day" in listing
    # days already there, and their times, are unaffected
    assert "Meadow" in client.get("/acme/portraits").text
    archived_page = client.get(f"/admin/locations/{meadow}").text
    assert "Use it again" in archived_page and "planned here still takes place" in archived_page
    # archiving twice is harmless; bringing it back offers it again
    assert post(client, f"/admin/locations/{meadow}/archive").status_code == 303
    assert post(client, f"/admin/locations/{meadow}/unarchive").status_code == 303
    assert location_row(db_url, "Meadow")["archived"] is False
    assert acme_active(db_url) == ["Meadow", "Park"]


def test_only_the_studios_own_photographer_reaches_its_locations(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    before = all_locations(db_url)
    rival = location_id(db_url, "Tiergarten")
    for path in (f"/admin/locations/{rival}", "/admin/locations/999999", "/admin/locations/0"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "no location with that number in your studio" in response.text
    for path in (
        f"/admin/locations/{rival}",
        f"/admin/locations/{rival}/archive",
        f"/admin/locations/{rival}/unarchive",
        "/admin/locations/99999999999999999999/archive",
    ):
        assert post(client, path, **location_form(name="Stolen")).status_code == 404, path
    assert client.get("/admin/locations/abc").status_code == 404
    assert all_locations(db_url) == before
    # the rival sees their own
    client.cookies.clear()
    log_in(client, RIVAL_EMAIL)
    assert client.get(f"/admin/locations/{rival}").status_code == 200
    assert "Park" not in client.get("/admin/locations").text

    # without the form token, or logged out, nothing changes
    client.cookies.clear()
    log_in(client, ACME_EMAIL)
    before = all_locations(db_url)
    park = location_id(db_url, "Park")
    for path in (
        "/admin/locations/new",
        f"/admin/locations/{park}",
        f"/admin/locations/{park}/archive",
    ):
        forged = client.post(path, data={**location_form(), "csrf": "forged"})
        assert forged.status_code == 403, path
        assert client.post(path, data=location_form()).status_code == 403, path
    client.cookies.clear()
    assert client.get("/admin/locations").status_code == 303
    assert client.post(f"/admin/locations/{park}/archive", data={}).status_code == 403
    assert all_locations(db_url) == before


@pytest.mark.parametrize("field", ["name", "address", "notes", "map_url"])
def test_a_nul_gets_a_field_error_and_saves_nothing(
    client: TestClient, acme: World, db_url: str, field: str
) -> None:
    """PostgreSQL text can't hold NUL: an INSERT or UPDATE with one used to fail (a 500)."""
    before = all_locations(db_url)
    value = "https://maps.example/\x00" if field == "map_url" else "Park\x00"
    for path in ("/admin/locations/new", f"/admin/locations/{location_id(db_url, 'Park')}"):
        response = post(client, path, **location_form(**{field: value}))
        assert response.status_code == 400, path
        assert "can't be saved (a NUL)" in field_error(response.text, field), path
    assert all_locations(db_url) == before
