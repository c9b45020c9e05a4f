"""The studio's settings page: every field checked and kept on error, the logo (sniffed,
stored, served immutable, shown), embed origins reaching frame-ancestors, and the studio's
payment methods narrowing what clients are offered at checkout."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.support.admin import ACME_EMAIL, RIVAL_EMAIL, add_user, csrf_from, log_in
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import accept_quote, book_with_demo_card, pay_demo, start, submit_details
from tests.support.queries import all_bookings, rows
from tests.support.world import World
from widget_server.booking.catalog import studio_by_slug
from widget_server.booking.slugs import is_valid_studio_slug
from widget_server.booking.tokens import BookingTokens
from widget_server.config import Settings
from widget_server.db.tables import studio_logos, studios
from widget_server.mail.preview import outbox_previews
from widget_server.studio.logos import InvalidLogo, check_logo
from widget_server.web.embed import allowed_origins

BASE = "http://127.0.0.1:8000"  # settings.base_url in tests


def png(width: int = 1, height: int = 1) -> bytes:
    """A real, tiny PNG (one white pixel by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
GIF = (  # one pixel
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00"
    b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def valid_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "Acme Photo",
        "notify_email": "acme@example.com",
        "timezone": "America/New_York",
        "currency": "USD",
        "brand_color": "#3b5bdb",
        "allowed_origins": "",
        "payment_methods": ["offline", "demo"],
        "offline_instructions": "Bank transfer to ACME 123.",
    }
    form.update(changes)
    return form


def save(
    client: TestClient,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    csrf: str | None = None,
    **changes: Any,
) -> Any:
    token = csrf if csrf is not None else csrf_from(client.get("/admin/settings").text)
    data = {**valid_form(**changes), "csrf": token}
    # multipart, as the browser sends it (the form has a file field)
    return client.post(
        "/admin/settings", data=data, files=files or {"logo": ("", b"", "application/octet-stream")}
    )


def studio_row(db_url: str, slug: str = "acme") -> dict[str, Any]:
    [row] = rows(db_url, sa.select(studios).where(studios.c.slug == slug))
    return row


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error shown for {field}"
    return unescape(match.group(1))


def logo_src(html: str) -> str | None:
    match = re.search(r'<img class="studio-logo" src="([^"]+)" alt="([^"]*)"', html)
    return match.group(1) if match else None


def test_the_form_shows_the_studios_settings(client: TestClient, acme: World) -> None:
    html = client.get("/admin/settings").text
    assert 'value="Acme Photo"' in html and 'value="acme@studio.test"' in html
    # email-validator refuses reserved names like .test: saving asks for a real address
    assert 'list="time-zone-names" value="Eastern Time — New York"' in html
    assert '<option value="Central European Time — Paris">' in html and "localtime" not in html
    assert '<option value="USD" selected>USD — US Dollar</option>' in html
    assert "changing the currency does not change any price" in html
    assert "Leave it empty to let any site embed it" in html
    # demo mode: offline and the demo card; Stripe shown off, with how to switch it on
    assert re.search(r'value="offline" checked', html) and re.search(r'value="demo" checked', html)
    assert re.search(r'value="stripe" disabled', html)
    assert "card payments need a Stripe account connected to this server" in html
    assert "STRIPE_SECRET_KEY" not in html  # photographers are not told to set variables
    assert 'href="/admin/settings" aria-current="page">Settings</a>' in html
    assert 'enctype="multipart/form-data"' in html


def test_saving_normalises_and_stores_everything(
    client: TestClient, acme: World, db_url: str
) -> None:
    response = save(
        client,
        name="  Acme   Photo  Studio ",
        notify_email="Bookings@Acme.EXAMPLE.com",
        timezone="Europe/Paris",
        currency="eur",
        brand_color="#FF3366",
        allowed_origins="https://Jane.example/book\r\n\r\nwww.jane.example\r\nhttps://jane.example:443\r\n"
        "http://localhost:8080",
        payment_methods=["offline"],
        offline_instructions="Cash on the day.\r\nThanks!",
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/settings?saved=1"
    row = studio_row(db_url)
    assert row["name"] == "Acme Photo Studio"
    assert row["notify_email"] == "Bookings@acme.example.com"  # the domain part is normalised
    assert (row["timezone"], row["currency"], row["brand_color"]) == (
        "Europe/Paris",
        "EUR",
        "#ff3366",
    )
    assert row["allowed_origins"] == (
        "https://jane.example https://www.jane.example http://localhost:8080"
    )
    assert row["payment_methods"] == "offline stripe"  # stripe kept: this deployment can't show it
    assert row["offline_instructions"] == "Cash on the day.\nThanks!"
    page = client.get(response.headers["location"]).text
    assert "Saved." in page and 'value="#ff3366"' in page
    assert (
        "https://jane.example\nhttps://www.jane.example\nhttp://localhost:8080</textarea>" in page
    )
    # the stored format is exactly what the embed reads back
    studio = run_db(db_url, lambda db: studio_by_slug(db, "acme"))
    assert allowed_origins(studio) == [
        "https://jane.example",
        "https://www.jane.example",
        "http://localhost:8080",
    ]


BAD_VALUES = [  # (field, value, part of the message)
    ("name", "   ", "Please enter your studio's name."),
    ("name", "x" * 201, "under 200 characters"),
    ("notify_email", "not-an-email", "valid email address"),
    ("notify_email", "studio@studio.test", "valid email address"),
    ("notify_email", "a@" + "b" * 300 + ".com", "too long"),
    ("timezone", "Mars/Olympus_Mons", "time zone from the list"),
    ("timezone", "localtime", "time zone from the list"),
    ("currency", "XYZ", "currency from the list"),
    ("currency", "dollars", "currency from the list"),
    ("brand_color", "red", "#3b5bdb"),
    ("brand_color", "#12345", "#3b5bdb"),
    ("brand_color", "#1234567", "#3b5bdb"),
    ("brand_color", '"><script>', "#3b5bdb"),
    ("allowed_origins", "https://ok.example\njavascript:alert(1)\n*", "Line 2:"),
    ("allowed_origins", "http://jane.example", "use https://"),
    ("allowed_origins", "https://user:pw@jane.example", "Line 1: leave out"),
    ("allowed_origins", "x" * 10_001, "too much text"),
    ("payment_methods", [], "at least one way"),
    ("payment_methods", ["stripe"], "at least one way"),  # not available here
    ("offline_instructions", "x" * 2001, "under 2000 characters"),
    # PostgreSQL text can't hold NUL: saving one used to fail (a 500).
    ("name", "Acme\x00Photo", "can't be saved (a NUL)"),
    ("offline_instructions", "Pay\x00cash", "can't be saved (a NUL)"),
]


def test_bad_values_are_explained_and_nothing_is_saved(
    client: TestClient, acme: World, db_url: str
) -> None:
    before = studio_row(db_url)
    for field, value, message in BAD_VALUES:
        kept = {} if field == "name" else {"name": "Kept Name"}
        response = save(client, **{field: value, **kept})
        assert response.status_code == 400, (field, value)
        assert message in field_error(response.text, field), (field, value)
        assert "Nothing was saved" in response.text
        if kept:
            assert 'value="Kept Name"' in response.text  # the rest of the input is kept
    assert studio_row(db_url) == before
    # every bad line of the origins is named, the lines kept as typed
    response = save(client, allowed_origins="https://fine.example\nftp://x.example\n\nnot a site")
    message = field_error(response.text, "allowed_origins")
    assert "Line 2: only https://" in message and "Line 4:" in message and "Line 1" not in message
    assert "ftp://x.example\n\nnot a site</textarea>" in response.text


def test_hostile_input_is_escaped_or_refused_never_a_500(
    client: TestClient, acme: World, db_url: str
) -> None:
    name = '<script>alert("x")</script> & Co'
    assert save(client, name=name).status_code == 303
    for page in (client.get("/admin/settings").text, client.get("/acme").text):
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page
    bad = save(client, name=name, notify_email="<img src=x onerror=alert(1)>")
    assert bad.status_code == 400 and "<img src=x" not in bad.text
    # missing fields and wrong types are a 400, not a 500
    before = studio_row(db_url)
    token = csrf_from(client.get("/admin/settings").text)
    bare = client.post("/admin/settings", data={"csrf": token})  # urlencoded, nothing else
    assert bare.status_code == 400
    for field in ("name", "notify_email", "timezone", "currency", "brand_color", "payment_methods"):
        assert field_error(bare.text, field)
    # nothing is silently pre-chosen in the lists
    assert 'list="time-zone-names" value=""' in bare.text
    assert '<option value="" selected>Choose a currency</option>' in bare.text
    mars = save(client, timezone="Mars/Olympus_Mons")
    assert 'value="Mars/Olympus_Mons"' in mars.text and field_error(mars.text, "timezone")
    # a text field sent as a file counts as missing
    as_file = save(client, files={"name": ("name.txt", b"Acme", "text/plain")})
    assert as_file.status_code == 400 and field_error(as_file.text, "name")
    assert studio_row(db_url) == before


def test_only_the_studios_own_logged_in_photographer_changes_it(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    before = studio_row(db_url)
    assert save(client, csrf="forged", name="Hacked").status_code == 403
    assert save(client, csrf="", name="Hacked").status_code == 403
    token = csrf_from(client.get("/admin/settings").text)
    client.cookies.clear()
    response = client.post("/admin/settings", data={**valid_form(name="Hacked"), "csrf": token})
    assert response.status_code == 403
    assert client.get("/admin/settings").status_code == 303  # to the login form
    assert studio_row(db_url) == before
    # a photographer's save touches their own studio only
    rival_before = studio_row(db_url, "rival")
    client.cookies.clear()
    log_in(client, ACME_EMAIL)
    assert save(client, name="Acme Renamed").status_code == 303
    assert studio_row(db_url, "rival") == rival_before
    client.cookies.clear()
    log_in(client, RIVAL_EMAIL)
    page = client.get("/admin/settings").text
    assert 'value="Rival Photo"' in page and "Acme" not in page


# The logo


def test_a_logo_is_stored_served_immutable_and_shown(
    client: TestClient, acme: World, db_url: str, settings: Settings, clock: FakeClock
) -> None:
    image = png(3, 2)
    digest = hashlib.sha256(image).hexdigest()
    # the browser's name and type are ignored: the bytes say PNG
    response = save(client, files={"logo": ("logo.gif", image, "image/gif")})
    assert response.status_code == 303
    path = f"/logos/acme/{digest}.png"
    assert not is_valid_studio_slug("logos")  # no studio can take the logos' path
    row = studio_row(db_url)
    assert (row["logo_sha256"], row["logo_type"]) == (digest, "image/png")
    served = client.get(path)
    assert served.status_code == 200 and served.content == image
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "set-cookie" not in served.headers
    # on the booking site's header, with the studio's name as its text
    for page in ("/acme", "/acme/portraits"):
        html = client.get(page).text
        assert f'<img class="studio-logo" src="{path}" alt="Acme Photo">' in html
        assert "img-src 'self'" in client.get(page).headers["content-security-policy"]
    assert f'src="{path}"' in client.get("/admin/settings").text  # the current one, previewed
    # in the emails' header, as an absolute URL
    book_with_demo_card(client, acme.slots["portraits"][0])
    previews = run_db(
        db_url,
        lambda db: outbox_previews(
            db, 1, base_url=BASE, tokens=BookingTokens(settings.secret_key), now=clock()
        ),
    )
    assert previews and all(
        f'<img src="{BASE}{path}" alt="Acme Photo"' in p.rendered.html
        for p in previews
        if p.rendered
    )


def test_a_new_logo_retires_the_old_url_and_removing_it_works(
    client: TestClient, acme: World, db_url: str
) -> None:
    first, second = png(1, 1), png(2, 2)
    save(client, files={"logo": ("a.png", first, "image/png")})
    old = f"/logos/acme/{hashlib.sha256(first).hexdigest()}.png"
    assert client.get(old).status_code == 200
    save(client, files={"logo": ("b.png", second, "image/png")})
    new = f"/logos/acme/{hashlib.sha256(second).hexdigest()}.png"
    assert client.get(old).status_code == 404 and client.get(new).status_code == 200
    assert len(rows(db_url, sa.select(studio_logos.c.studio_id))) == 1
    # saving other settings without a file keeps the logo
    assert save(client, name="Acme Again").status_code == 303
    assert logo_src(client.get("/acme").text) == new
    token = csrf_from(client.get("/admin/settings").text)
    removed = client.post(
        "/admin/settings",
        data={**valid_form(), "remove_logo": "1", "csrf": token},
        files={"logo": ("", b"", "application/octet-stream")},
    )
    assert removed.status_code == 303
    assert client.get(new).status_code == 404
    html = client.get("/acme").text
    assert logo_src(html) is None and '<a class="studio-name" href="/acme">Acme Photo</a>' in html
    assert rows(db_url, sa.select(studio_logos.c.studio_id)) == []
    # only the current logo's exact URL answers
    image = png(4, 4)
    digest = hashlib.sha256(image).hexdigest()
    save(client, files={"logo": ("a.png", image, "image/png")})
    assert client.get(f"/logos/acme/{digest}.png").status_code == 200
    for path in (
        f"/logos/acme/{digest}.gif",  # right hash, wrong type
        f"/logos/rival/{digest}.png",  # another studio
        f"/logos/acme/{'0' * 64}.png",
        f"/logos/acme/{digest[:10]}.png",
        f"/logos/acme/{digest}",
        "/logos/acme/..%2F..%2Fetc%2Fpasswd",
        "/logos/nobody/x.png",
    ):
        assert client.get(path).status_code == 404, path


NOT_LOGOS = [  # (file name, bytes, the browser's type, part of the message)
    ("logo.svg", SVG, "image/svg+xml", "SVG files aren't accepted as logos"),
    ("logo.png", SVG, "image/png", "SVG files aren't accepted as logos"),  # a forged type
    ("logo.png", b"<html><script>alert(1)</script></html>", "image/png", "isn't a PNG"),
    ("logo.png", b"MZ\x90\x00" + b"\x00" * 100, "image/png", "isn't a PNG"),
    ("logo.png", b"%PDF-1.7\n" + b"x" * 100, "image/png", "isn't a PNG"),
    ("logo.png", b"", "image/png", "That file is empty."),
    ("", b"", "application/octet-stream", None),  # no file chosen: the logo stays as it is
]


def test_only_real_raster_images_are_taken(client: TestClient, acme: World, db_url: str) -> None:
    for filename, content, content_type, message in NOT_LOGOS:
        response = save(client, files={"logo": (filename, content, content_type)}, name="Kept")
        if message is None:
            assert response.status_code == 303 and studio_row(db_url)["logo_sha256"] is None
            continue
        assert response.status_code == 400, filename
        assert message in field_error(response.text, "logo")
        assert 'value="Kept"' in response.text
        assert studio_row(db_url)["name"] == "Acme Photo"  # nothing saved
        assert rows(db_url, sa.select(studio_logos.c.studio_id)) == []
    # Magic bytes decide (booking/logos.py): a PNG signature followed by garbage is taken;
    # it is served only as image/png with nosniff, where it can do no more than fail to show.
    forged = b"\x89PNG\r\n\x1a\n" + b"<script>alert(1)</script>" * 10
    assert save(client, files={"logo": ("x.html", forged, "text/html")}).status_code == 303
    served = client.get(f"/logos/acme/{hashlib.sha256(forged).hexdigest()}.png")
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert save(client, files={"logo": ("x", GIF, "")}).status_code == 303
    assert studio_row(db_url)["logo_type"] == "image/gif"


def test_the_size_limit_is_exact_and_never_reads_as_the_limit() -> None:
    limit = 512 * 1024
    assert check_logo(png().ljust(limit, b"\x00")).content_type == "image/png"
    with pytest.raises(InvalidLogo, match=r"This file is 513 KB; logos can be up to 512 KB\."):
        check_logo(png().ljust(limit + 1, b"\x00"))


def test_oversized_or_extra_uploads_are_refused_politely(
    client: TestClient, acme: World, db_url: str
) -> None:
    for size, shown in [(600 * 1024, "600 KB"), (1536 * 1024, "1.5 MB")]:
        big = png().ljust(size, b"\x00")  # a real PNG, padded to exactly this size
        response = save(client, files={"logo": ("big.png", big, "image/png")}, name="Kept Name")
        assert response.status_code == 400
        assert f"This file is {shown}; logos can be up to 512 KB." in field_error(
            response.text, "logo"
        )
    assert 'value="Kept Name"' in response.text
    assert studio_row(db_url)["logo_sha256"] is None
    # far too big: refused before it is read at all
    huge = save(client, files={"logo": ("huge.png", b"\x89PNG" + b"\x00" * (5 * 1024 * 1024), "")})
    assert huge.status_code == 413
    # a valid logo is not saved when another field is wrong, and the page says so
    partial = save(client, files={"logo": ("ok.png", png(), "image/png")}, currency="XXX1")
    assert partial.status_code == 400
    assert "choose the file again" in field_error(partial.text, "logo")
    assert studio_row(db_url)["logo_sha256"] is None
    # two files, or a text field over 64 KB: Starlette's limits, shown as a page
    token = csrf_from(client.get("/admin/settings").text)
    two = client.post(
        "/admin/settings",
        data={**valid_form(), "csrf": token},
        files=[("logo", ("a.png", png(), "image/png")), ("logo", ("b.png", png(2), "image/png"))],
    )
    assert two.status_code == 400 and "<html" in two.text
    huge_field = save(client, offline_instructions="x" * (70 * 1024))
    assert huge_field.status_code == 400 and "<html" in huge_field.text
    assert studio_row(db_url)["logo_sha256"] is None
    # other dashboard forms take no files at all
    feed = client.post(
        "/admin/feed/new", data={"csrf": token}, files={"x": ("a.png", png(), "image/png")}
    )
    assert feed.status_code == 400


# Allowed origins reach the embed's frame-ancestors


def test_allowed_origins_change_who_may_frame_the_embed(client: TestClient, acme: World) -> None:
    def ancestors() -> str:
        csp = client.get("/embed/acme/portraits").headers["content-security-policy"]
        return csp.split("frame-ancestors ")[1]

    assert ancestors() == "*"
    assert (
        save(client, allowed_origins="https://jane.example/\nshop.jane.example").status_code == 303
    )
    assert ancestors() == "https://jane.example https://shop.jane.example"
    framed = client.get("/embed/acme?parent=https://jane.example").text
    assert "https://jane.example" in framed
    assert save(client, allowed_origins="").status_code == 303
    assert ancestors() == "*"


# Payment methods: the studio's choice narrows every mini session's at checkout


def test_switching_a_method_off_stops_it_on_every_mini_session(
    client: TestClient, acme: World, db_url: str
) -> None:
    # "portraits" offers demo and offline: with both, the client chooses
    token = start(client, acme.slots["portraits"][0])
    assert 'type="radio" name="method"' in accept_quote(client, token).text
    assert save(client, payment_methods=["offline"]).status_code == 303
    # now only offline is left: nothing to choose, and the demo card is gone
    token = start(client, acme.slots["portraits"][1])
    page = accept_quote(client, token).text
    assert 'type="radio"' not in page and 'name="card"' not in page
    assert pay_demo(client, token).status_code == 422
    assert client.post(f"/b/{token}/quote").status_code == 303
    assert all_bookings(db_url)[-1]["status"] == "booked"
    # "card-only" offers only the demo card: clients are told to contact the studio
    slot = acme.slots["card-only"][0]
    page = client.get(f"/acme/card-only/book?slot={slot}")
    assert page.status_code == 409
    assert "isn't taking payments online" in unescape(page.text)
    assert "contact Acme Photo" in page.text
    assert submit_details(client, slot, "card-only").status_code == 409
    assert [b for b in all_bookings(db_url) if b["slot_id"] == slot] == []
    # the free session needs no payment method and still books
    free = submit_details(client, acme.slots["free-day"][0], "free-day")
    assert free.status_code == 303


def test_a_client_mid_checkout_gets_a_friendly_page_when_methods_go(
    client: TestClient, acme: World, db_url: str
) -> None:
    accepted = start(client, acme.slots["card-only"][0], "card-only")
    assert pay_demo(client, accepted, "1234").status_code == 422  # quote accepted, card wrong
    quoted = start(client, acme.slots["card-only"][1], "card-only")
    assert save(client, payment_methods=["offline"]).status_code == 303
    for response in (client.get(f"/b/{accepted}/quote"), pay_demo(client, quoted)):
        assert response.status_code == 409
        assert "isn't taking payments online" in unescape(response.text)
    # switched back on, the same clients carry on
    assert save(client, payment_methods=["offline", "demo"]).status_code == 303
    assert pay_demo(client, accepted).status_code == 303
    assert pay_demo(client, quoted).status_code == 303


def test_stripe_is_offered_once_configured(
    stripe_client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    add_user(db_url, clock, "acme", ACME_EMAIL)
    log_in(stripe_client, ACME_EMAIL)
    html = stripe_client.get("/admin/settings").text
    assert re.search(r'value="stripe" checked', html)
    assert "card payments need a Stripe account" not in html
    assert save(stripe_client, payment_methods=["demo", "offline"]).status_code == 303
    assert studio_row(db_url)["payment_methods"] == "offline demo"
    # "card-only" offers only Stripe now: nothing left to pay with
    page = stripe_client.get(f"/acme/card-only/book?slot={world.slots['card-only'][0]}")
    assert page.status_code == 409


def test_changing_currency_leaves_bookings_in_the_one_they_were_quoted_in(
    client: TestClient, acme: World, db_url: str
) -> None:
    token = book_with_demo_card(client, acme.slots["portraits"][0])  # $50.00 deposit paid
    assert save(client, currency="EUR").status_code == 303
    assert "$50.00" in client.get(f"/b/{token}").text  # the client's page
    [booking] = all_bookings(db_url)
    assert "$50.00" in client.get(f"/admin/bookings/{booking['id']}").text
    sheet_link = re.search(
        r'href="(/admin/minis/\d+/days/\d+)"', client.get("/admin/bookings").text
    )
    assert sheet_link
    assert "$50.00 paid" in client.get(sheet_link.group(1)).text
    # a new quote is in the new currency (the price's number is unchanged)
    new = start(client, acme.slots["portraits"][1])
    assert "€200.00" in client.get(f"/b/{new}/quote").text
