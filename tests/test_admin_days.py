"""Session days in the dashboard: add with a preview, DST, block and add slots, change a day
without ever dropping a client's booking (also when one arrives mid-confirmation), delete."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import accept_quote, start, submit_details
from tests.support.queries import all_bookings, rows
from tests.support.world import World
from widget_server.db.tables import bookings, locations, session_days, slots, studios

DAY = {
    "date": "2026-12-05",
    "start_time": "09:00",
    "end_time": "10:00",
    "slot_minutes": "20",
    "gap_minutes": "10",
    "capacity": "2",
}


def location_id(db_url: str, name: str) -> int:
    [row] = rows(db_url, sa.select(locations.c.id).where(locations.c.name == name))
    return row["id"]


def post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    csrf = csrf_from(client.get("/admin/minis").text)
    return client.post(path, data={"csrf": csrf, **data})


def days_of(db_url: str, mini_id: int) -> list[dict[str, Any]]:
    return rows(
        db_url,
        sa.select(session_days)
        .where(session_days.c.mini_session_id == mini_id)
        .order_by(session_days.c.id),
    )


def slots_of(db_url: str, day_id: int) -> list[dict[str, Any]]:
    return rows(
        db_url,
        sa.select(slots).where(slots.c.session_day_id == day_id).order_by(slots.c.starts_at),
    )


def day_of(db_url: str, slot_id: int) -> int:
    [row] = rows(db_url, sa.select(slots.c.session_day_id).where(slots.c.id == slot_id))
    return row["session_day_id"]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def preview_times(html: str) -> list[str]:
    block = re.search(r'<ol class="preview-slots">(.*?)</ol>', html, re.S)
    assert block, "no preview on the page"
    # The page separates start and end with an en dash; "-" keeps the tests plain ASCII.
    return [
        t.strip().replace("\u2013", "-") for t in re.findall(r"<li>([^<]+)</li>", block.group(1))
    ]


def book_offline(client: TestClient, slot_id: int, name: str, mini: str = "family") -> str:
    token = start(client, slot_id, mini, name=name)
    accept_quote(client, token)
    assert client.post(f"/b/{token}/pay/offline").status_code == 303
    return token


def test_preview_shows_the_slots_and_writes_nothing_then_save_creates_them(
    client: TestClient, acme: World, db_url: str
) -> None:
    mini_id = acme.mini_ids["family"]
    park = location_id(db_url, "Park")
    before = days_of(db_url, mini_id)
    form = {**DAY, "location": str(park), "action": "preview"}
    response = post(client, f"/admin/minis/{mini_id}/days", form)
    assert response.status_code == 200
    assert preview_times(response.text) == [
        "9:00 AM EST - 9:20 AM EST",
        "9:30 AM EST - 9:50 AM EST",
    ]
    assert "Preview · 2 slots" in response.text and "Eastern Standard Time" in response.text
    assert 'value="2026-12-05"' in response.text  # the form keeps what was typed
    assert days_of(db_url, mini_id) == before

    response = post(client, f"/admin/minis/{mini_id}/days", {**form, "action": "save"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/minis/{mini_id}?done=added"
    [new] = [d for d in days_of(db_url, mini_id) if d not in before]
    made = slots_of(db_url, new["id"])
    assert [(s["starts_at"], s["capacity"]) for s in made] == [
        (utc("2026-12-05 14:00"), 2),
        (utc("2026-12-05 14:30"), 2),
    ]
    mini_page = client.get(f"/admin/minis/{mini_id}").text
    assert "Sat, Dec 5, 2026" in mini_page and "9:00 AM\u201310:00 AM" in mini_page
    assert "Sat, Dec 5" in client.get("/acme/family").text  # clients can book it
    # A day overlapping another at the same place is a warning, not a refusal.
    existing = before[0]
    form = {
        **DAY,
        "location": str(existing["location_id"]),
        "date": existing["date"].isoformat(),
        "start_time": "10:30",
        "end_time": "12:00",
    }
    preview = post(client, f"/admin/minis/{mini_id}/days", {**form, "action": "preview"})
    assert "overlaps another day" in preview.text
    saved = post(client, f"/admin/minis/{mini_id}/days", {**form, "action": "save"})
    assert saved.headers["location"] == f"/admin/minis/{mini_id}?done=added&warn=overlap"
    assert "overlaps another day" in client.get(saved.headers["location"]).text
    assert len(days_of(db_url, mini_id)) == 3


def test_a_day_across_the_dst_change_has_no_duplicate_or_missing_slot(
    client: TestClient, acme: World, db_url: str
) -> None:
    # New York falls back at 2:00 on 2026-11-01: 1:00-2:00 happens twice.
    form = {
        "location": str(location_id(db_url, "Park")),
        "date": "2026-11-01",
        "start_time": "00:30",
        "end_time": "03:30",
        "slot_minutes": "60",
        "gap_minutes": "0",
        "capacity": "1",
        "action": "preview",
    }
    response = post(client, f"/admin/minis/{acme.mini_ids['family']}/days", form)
    assert preview_times(response.text) == [
        "12:30 AM EDT - 1:30 AM EDT",
        "1:30 AM EDT - 1:30 AM EST",
        "1:30 AM EST - 2:30 AM EST",
        "2:30 AM EST - 3:30 AM EST",
    ]
    assert "in the past" in response.text  # a warning, not an error
    # Spring forward (2027-03-14, 2:00 → 3:00): a 1:30-4:30 day is two real hours long.
    spring = {**form, "date": "2027-03-14", "start_time": "01:30", "end_time": "04:30"}
    response = post(client, f"/admin/minis/{acme.mini_ids['family']}/days", spring)
    assert preview_times(response.text) == [
        "1:30 AM EST - 3:30 AM EDT",
        "3:30 AM EDT - 4:30 AM EDT",
    ]


def test_day_mistakes_get_a_message_each_and_nothing_is_saved(
    client: TestClient, acme: World, db_url: str
) -> None:
    mini_id = acme.mini_ids["family"]
    before = days_of(db_url, mini_id)
    tiergarten = location_id(db_url, "Tiergarten")  # Rival's
    cases: list[tuple[dict[str, str], set[str]]] = [
        (
            {
                "location": str(tiergarten),
                "date": "5/12/2026",
                "start_time": "25:00",
                "end_time": "<script>",
                "slot_minutes": "4",
                "gap_minutes": "-1",
                "capacity": "101",
            },
            {
                "location",
                "date",
                "start_time",
                "end_time",
                "slot_minutes",
                "gap_minutes",
                "capacity",
            },
        ),
        ({**DAY, "end_time": "08:00"}, {"end_time"}),
        ({**DAY, "slot_minutes": "90"}, {"slot_minutes"}),
        ({**DAY, "date": "9999-12-31"}, {"date"}),
        ({**DAY, "capacity": "9" * 50, "gap_minutes": "1e3"}, {"capacity", "gap_minutes"}),
        ({"location": "x"}, {"location", "date", "start_time", "end_time", "slot_minutes"}),
    ]
    park = str(location_id(db_url, "Park"))
    answers = []
    for fields, expected in cases:
        form = {"location": park, **fields}
        response = post(client, f"/admin/minis/{mini_id}/days", {**form, "action": "save"})
        assert response.status_code == 400, fields
        found = set(re.findall(r'<p class="field-error" id="([a-z_]+)-error">', response.text))
        assert expected <= found, (fields, found)
        answers.append(response.text)
    # What was typed comes back as text, never as markup.
    assert 'value="&lt;script&gt;"' in answers[0] and "<script>" not in answers[0]
    assert days_of(db_url, mini_id) == before
    # An archived location is no longer offered, nor taken.
    park = location_id(db_url, "Park")

    async def archive(db: Database) -> None:
        await db.execute(locations.update().where(locations.c.id == park).values(archived=True))

    run_db(db_url, archive)
    page = client.get(f"/admin/minis/{acme.mini_ids['family']}").text
    assert ">Park (" not in page and ">Meadow (" in page
    response = post(
        client,
        f"/admin/minis/{acme.mini_ids['family']}/days",
        {**DAY, "location": str(park), "action": "save"},
    )
    assert response.status_code == 400 and "Choose one of your locations" in response.text


def test_blocking_a_slot_hides_it_from_clients_and_keeps_its_booking(
    client: TestClient, acme: World, db_url: str
) -> None:
    first, second = acme.slots["family"][:2]
    day_id = day_of(db_url, first)
    mini_id = acme.mini_ids["family"]
    book_offline(client, first, "Booked Betty")
    base = f"/admin/minis/{mini_id}/days/{day_id}"
    for slot_id in (first, second):
        response = post(client, f"{base}/slots/{slot_id}/block", {"blocked": "1"})
        assert (
            response.status_code == 303
            and response.headers["location"] == f"{base}/edit?done=blocked"
        )
    # Clients see the time as unavailable and can't take it.
    assert "This time isn&#39;t available" in client.get(f"/acme/family/book?slot={second}").text
    assert submit_details(client, second, "family").status_code != 303
    assert f"/acme/family/book?slot={second}" not in client.get("/acme/family").text
    assert [b["status"] for b in all_bookings(db_url)] == ["booked"]
    assert "Unblock" in client.get(f"{base}/edit").text
    post(client, f"{base}/slots/{second}/block", {"blocked": "0"})
    assert f"/acme/family/book?slot={second}" in client.get("/acme/family").text
    assert submit_details(client, second, "family").status_code == 303


def test_adding_a_slot_uses_the_locations_time_zone(
    client: TestClient, acme: World, db_url: str
) -> None:
    # Portraits' Meadow day is in Denver (UTC-7 in November).
    meadow_day = next(
        d
        for d in days_of(db_url, acme.mini_ids["portraits"])
        if d["location_id"] == location_id(db_url, "Meadow")
    )
    base = f"/admin/minis/{acme.mini_ids['portraits']}/days/{meadow_day['id']}"
    response = post(client, f"{base}/slots", {"slot_start": "17:00", "slot_length": "30"})
    assert response.status_code == 303
    added = [s for s in slots_of(db_url, meadow_day["id"]) if s["starts_at"].hour == 0]
    assert [
        (s["starts_at"].time().isoformat(), s["ends_at"].minute, s["capacity"]) for s in added
    ] == [("00:00:00", 30, 1)]
    assert "Extra" in client.get(f"{base}/edit").text
    again = post(client, f"{base}/slots", {"slot_start": "17:00", "slot_length": "30"})
    assert again.status_code == 400 and "already has a slot" in again.text
    for junk in (
        {"slot_start": "5pm", "slot_length": "30"},
        {"slot_start": "17:00", "slot_length": "0"},
    ):
        assert post(client, f"{base}/slots", junk).status_code == 400


def test_changing_a_day_keeps_slots_still_planned_and_removes_free_ones(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    first, *_rest, last = acme.slots["family"]
    day_id = day_of(db_url, first)
    mini_id = acme.mini_ids["family"]
    kept_booking = book_offline(client, first, "Early Eve")
    # A hold on the last slot that lapsed: history that points at the slot.
    start(client, last, "family", name="Lapsed Larry")
    clock.advance(minutes=16)
    day = days_of(db_url, mini_id)[0]
    form = {
        "location": str(day["location_id"]),
        "date": day["date"].isoformat(),
        "start_time": "09:00",
        "end_time": "10:00",
        "slot_minutes": "20",
        "gap_minutes": "5",
        "capacity": "4",
        "action": "save",
    }
    base = f"/admin/minis/{mini_id}/days/{day_id}"
    response = post(client, f"{base}/edit", form)
    assert response.status_code == 303, response.text
    after = slots_of(db_url, day_id)
    planned = [s for s in after if not s["blocked"]]
    assert [s["starts_at"].strftime("%H:%M") for s in planned] == ["14:00", "14:25"]
    assert planned[0]["id"] == first and planned[0]["capacity"] == 4 and planned[0]["taken"] == 1
    # The lapsed hold's slot can't be deleted (its booking row points at it): blocked instead.
    assert [s["id"] for s in after if s["blocked"]] == [last]
    assert len(after) == 3
    assert client.get(f"/b/{kept_booking}").status_code == 200
    assert days_of(db_url, mini_id)[0]["capacity"] == 4


def change_form(db_url: str, mini_id: int, **changes: str) -> dict[str, str]:
    day = days_of(db_url, mini_id)[0]
    return {
        "location": str(day["location_id"]),
        "date": day["date"].isoformat(),
        "start_time": day["start_time"].strftime("%H:%M"),
        "end_time": day["end_time"].strftime("%H:%M"),
        "slot_minutes": str(day["slot_minutes"]),
        "gap_minutes": str(day["gap_minutes"]),
        "capacity": str(day["capacity"]),
        "action": "save",
        **changes,
    }


def fingerprint_in(html: str) -> str:
    match = re.search(r'name="keep" value="([0-9a-f]+)"', html)
    assert match, "no confirmation form"
    return match.group(1)


def test_a_change_that_would_drop_bookings_asks_first_even_when_one_arrives_meanwhile(
    client: TestClient, acme: World, db_url: str
) -> None:
    slot_ids = acme.slots["family"]  # 9:00, 9:25, 9:50, 10:15, 10:40 in New York
    day_id = day_of(db_url, slot_ids[0])
    mini_id = acme.mini_ids["family"]
    base = f"/admin/minis/{mini_id}/days/{day_id}"
    book_offline(client, slot_ids[3], "Late Lucy")
    before = slots_of(db_url, day_id)
    form = change_form(db_url, mini_id, end_time="10:10")  # drops 10:15 and 10:40
    previewed = post(client, f"{base}/edit", {**form, "action": "preview"})
    assert previewed.status_code == 200 and len(preview_times(previewed.text)) == 3
    assert slots_of(db_url, day_id) == before  # a preview writes nothing

    asked = post(client, f"{base}/edit", form)
    assert asked.status_code == 409
    assert "Late Lucy" in asked.text and "Keep these bookings at their current times" in asked.text
    lucy = all_bookings(db_url)[0]["id"]
    assert f'href="/admin/bookings/{lucy}"' in asked.text
    assert slots_of(db_url, day_id) == before  # nothing changed yet
    seen = fingerprint_in(asked.text)

    # Someone holds 10:40 while the photographer reads the page: asked again, nothing lost.
    start(client, slot_ids[4], "family", name="Racing Rita")
    again = post(client, f"{base}/edit", {**form, "keep": seen})
    assert again.status_code == 409
    assert "Something changed" in again.text and "Racing Rita" in again.text
    assert slots_of(db_url, day_id) == [
        {**s, "taken": s["taken"] + (1 if s["id"] == slot_ids[4] else 0)} for s in before
    ]

    done = post(client, f"{base}/edit", {**form, "keep": fingerprint_in(again.text)})
    assert done.status_code == 303
    after = {s["id"]: s for s in slots_of(db_url, day_id)}
    assert set(after) == set(slot_ids)  # 9:00-9:50 planned; 10:15 and 10:40 kept for clients
    assert after[slot_ids[3]]["blocked"] and after[slot_ids[4]]["blocked"]
    assert not any(after[i]["blocked"] for i in slot_ids[:3])
    assert sorted(b["status"] for b in all_bookings(db_url)) == ["booked", "held"]
    page = client.get(f"{base}/edit").text
    assert page.count("Extra</span>") == 2


def test_lowering_capacity_below_the_clients_on_a_slot_asks_first(
    client: TestClient, acme: World, db_url: str
) -> None:
    first = acme.slots["family"][0]
    day_id = day_of(db_url, first)
    mini_id = acme.mini_ids["family"]
    book_offline(client, first, "One")
    book_offline(client, first, "Two")
    base = f"/admin/minis/{mini_id}/days/{day_id}"
    asked = post(client, f"{base}/edit", change_form(db_url, mini_id, capacity="1"))
    assert asked.status_code == 409 and "One" in asked.text and "Two" in asked.text
    form = {**change_form(db_url, mini_id, capacity="1"), "keep": fingerprint_in(asked.text)}
    assert post(client, f"{base}/edit", form).status_code == 303
    capacities = {s["id"]: s["capacity"] for s in slots_of(db_url, day_id)}
    assert capacities[first] == 2 and set(capacities.values()) == {1, 2}
    # A day with bookings stays where it is.
    meadow = str(location_id(db_url, "Meadow"))
    moved = post(client, f"{base}/edit", change_form(db_url, mini_id, location=meadow))
    assert moved.status_code == 400 and "stays at its location" in moved.text


def test_a_day_is_deleted_only_when_nobody_is_on_it(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    family, hidden = acme.slots["family"][0], acme.slots["hidden"][0]
    family_day, hidden_day = day_of(db_url, family), day_of(db_url, hidden)
    book_offline(client, family, "Staying Sam")
    base = f"/admin/minis/{acme.mini_ids['family']}/days/{family_day}"
    assert "can't be deleted" in client.get(f"{base}/delete").text
    refused = post(client, f"{base}/delete", {})
    assert refused.status_code == 409 and "Staying Sam" in refused.text
    assert len(slots_of(db_url, family_day)) == 5

    free_day = f"/admin/minis/{acme.mini_ids['card-only']}/days/"
    card_day = day_of(db_url, acme.slots["card-only"][0])
    response = post(client, f"{free_day}{card_day}/delete", {})
    assert response.headers["location"] == f"/admin/minis/{acme.mini_ids['card-only']}?done=deleted"
    assert slots_of(db_url, card_day) == [] and days_of(db_url, acme.mini_ids["card-only"]) == []

    # Only a lapsed hold in its history: kept for the record, every slot blocked.
    start(client, hidden, "hidden")
    clock.advance(minutes=16)
    response = post(client, f"/admin/minis/{acme.mini_ids['hidden']}/days/{hidden_day}/delete", {})
    assert response.headers["location"].endswith("?done=closed")
    assert all(s["blocked"] for s in slots_of(db_url, hidden_day))
    assert rows(db_url, sa.select(bookings.c.status))[-1]["status"] == "expired"


def test_day_pages_of_other_studios_are_not_found_and_posts_need_the_token(
    client: TestClient, acme: World, db_url: str
) -> None:
    [rival_day] = rows(
        db_url,
        sa.select(session_days.c.id, session_days.c.mini_session_id)
        .join(slots, slots.c.session_day_id == session_days.c.id)
        .where(slots.c.id == acme.other_studio_slot),
    )
    ours = acme.mini_ids["family"]
    our_day = day_of(db_url, acme.slots["family"][0])
    our_slot = acme.slots["family"][0]
    paths = []
    for mini, day, slot in (
        (rival_day["mini_session_id"], rival_day["id"], acme.other_studio_slot),
        (ours, rival_day["id"], acme.other_studio_slot),
        (rival_day["mini_session_id"], our_day, our_slot),
        (ours, our_day, acme.other_studio_slot),  # another studio's slot on our day
        (ours, 2**31, our_slot),
    ):
        base = f"/admin/minis/{mini}/days/{day}"
        paths += [f"{base}/slots/{slot}/block"]
        if slot == our_slot or day != our_day:
            paths += [f"{base}/edit", f"{base}/delete", f"{base}/slots"]
    for path in paths:
        if not path.endswith(("/block", "/slots")):
            assert client.get(path).status_code == 404, path
        response = post(
            client, path, {**DAY, "blocked": "1", "slot_start": "09:00", "slot_length": "5"}
        )
        assert response.status_code == 404, path
    assert post(client, f"/admin/minis/{rival_day['mini_session_id']}/days", DAY).status_code == 404
    assert not any(s["blocked"] for s in slots_of(db_url, rival_day["id"]))
    for path in (
        f"/admin/minis/{ours}/days",
        f"/admin/minis/{ours}/days/{our_day}/edit",
        f"/admin/minis/{ours}/days/{our_day}/delete",
        f"/admin/minis/{ours}/days/{our_day}/slots",
        f"/admin/minis/{ours}/days/{our_day}/slots/{our_slot}/block",
    ):
        assert client.post(path, data={**DAY, "blocked": "1"}).status_code == 403, path
    assert len(slots_of(db_url, our_day)) == 5 and not slots_of(db_url, our_day)[0]["blocked"]
    # The rival's studio row is untouched by all this.
    assert rows(db_url, sa.select(studios.c.slug).order_by(studios.c.id)) == [
        {"slug": "acme"},
        {"slug": "rival"},
    ]
