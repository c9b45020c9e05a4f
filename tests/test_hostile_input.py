"""Hostile and broken input on every public form and URL: a clear error, nothing stored, escaped."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeSerializer
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.flow import CLIENT, book_with_demo_card, start, submit_details
from tests.support.queries import all_bookings, all_leads
from tests.support.world import World
from widget_server.app import create_app
from widget_server.config import Settings

SCRIPT = "<script>alert(1)</script>"


def assert_nothing_stored(db_url: str) -> None:
    assert all_leads(db_url) == [] and all_bookings(db_url) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "enter your name"),
        ({"name": "   "}, "name", "enter your name"),
        ({"name": "x" * 201}, "name", "under 200"),
        ({"name": "Ada\u202eevil"}, "name", "characters we can"),
        ({"name": "Ada\x00"}, "name", "characters we can"),
        ({"name": "=?utf-8?q?Eve=0D=0AX-Injected:_yes?="}, "name", "write your name without"),
        ({"name": "Eve =?utf-8?b?RXZl?="}, "name", "write your name without"),
        ({"email": ""}, "email", "enter your email"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"email": "a@b"}, "email", "valid email"),
        ({"email": "x" * 300 + "@example.com"}, "email", "too long"),
        ({"email": "ada@example.com\r\nBcc: victim@example.com"}, "email", "valid email"),
        ({"email": f"{SCRIPT}@example.com"}, "email", "valid email"),
        ({"email": "=?utf-8?q?Eve=0D=0AX-Injected=3A_yes?=@example.com"}, "email", "valid email"),
        ({"phone": ""}, "phone", "enter a phone"),
        ({"phone": "12"}, "phone", "valid phone"),
        ({"phone": "call me maybe"}, "phone", "valid phone"),
        ({"phone": "9" * 41}, "phone", "too long"),
    ],
)
def test_invalid_details_are_refused_with_a_field_error(
    client: TestClient, world: World, db_url: str, fields: dict[str, str], field: str, message: str
) -> None:
    response = submit_details(client, world.slots["portraits"][0], **fields)
    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'")
    assert f'href="#{field}"' in response.text  # the error summary links to the field
    assert 'aria-invalid="true"' in response.text
    assert "<script>alert" not in response.text
    assert_nothing_stored(db_url)


def test_values_are_kept_on_error(client: TestClient, world: World) -> None:
    response = submit_details(client, world.slots["portraits"][0], email="nope")
    assert response.status_code == 422
    assert 'value="Ada Lovelace"' in response.text and 'value="nope"' in response.text


def test_missing_fields_entirely(client: TestClient, world: World, db_url: str) -> None:
    response = client.post(f"/acme/portraits/book?slot={world.slots['portraits'][0]}", data={})
    assert response.status_code == 422
    assert all(f'href="#{f}"' in response.text for f in ("name", "email", "phone"))
    assert_nothing_stored(db_url)


def test_markup_in_a_name_is_stored_as_text_and_escaped(
    client: TestClient, world: World, db_url: str
) -> None:
    token = start(client, world.slots["portraits"][0], name=f"Ada {SCRIPT}")
    assert all_leads(db_url)[0]["name"] == f"Ada {SCRIPT}"
    quote = client.get(f"/b/{token}/quote").text
    assert SCRIPT not in quote and "&lt;script&gt;alert(1)&lt;/script&gt;" in quote


def test_unicode_names_are_welcome(client: TestClient, world: World, db_url: str) -> None:
    name = "Zoë Ōtsuka-李 ﷺ 👩‍👧"
    token = book_with_demo_card(client, world.slots["portraits"][0])
    assert token
    token = start(client, world.slots["portraits"][1], name=name, email="zoe@exämple.com")
    lead = all_leads(db_url)[-1]
    assert lead["name"] == name and lead["email"] == "zoe@exämple.com"
    assert name in client.get(f"/b/{token}/quote").text


def test_whitespace_and_newlines_in_names_collapse(
    client: TestClient, world: World, db_url: str
) -> None:
    start(client, world.slots["portraits"][0], name="  Ada\r\n Bcc: x@example.com\t ")
    assert all_leads(db_url)[0]["name"] == "Ada Bcc: x@example.com"


@pytest.mark.parametrize(
    "slot", ["abc", "-1", "0", "1e3", "1.0", "99999999999999999999", "٣", "", "1%00", "1;2"]
)
def test_non_numeric_slot_ids(client: TestClient, db_url: str, slot: str) -> None:
    assert client.get(f"/acme/portraits/book?slot={slot}").status_code == 404
    posted = client.post(f"/acme/portraits/book?slot={slot}", data=CLIENT)
    assert posted.status_code == 404 and "couldn" in posted.text
    assert_nothing_stored(db_url)


def test_missing_slot_parameter(client: TestClient) -> None:
    assert client.get("/acme/portraits/book").status_code == 404


def test_another_studios_slot_is_not_found(client: TestClient, world: World, db_url: str) -> None:
    other = world.other_studio_slot
    assert client.get(f"/acme/portraits/book?slot={other}").status_code == 404
    assert submit_details(client, other).status_code == 404
    # Another mini session of the same studio: also not this page's slot.
    assert submit_details(client, world.slots["family"][0], "portraits").status_code == 404
    assert_nothing_stored(db_url)


def test_unknown_slot_id(client: TestClient, db_url: str) -> None:
    assert submit_details(client, 999999).status_code == 404
    assert_nothing_stored(db_url)


def test_day_parameter_garbage_is_ignored(client: TestClient) -> None:
    for day in ("abc", "-5", "999999", "<b>"):
        page = client.get("/acme/portraits", params={"day": day})
        assert page.status_code == 200 and "<b>" not in page.text


def test_utm_and_prefill_pass_through_cleaned(
    client: TestClient, world: World, db_url: str
) -> None:
    slot_id = world.slots["portraits"][0]
    form = client.get(
        "/acme/portraits/book",
        params={
            "slot": slot_id,
            "utm_source": SCRIPT,
            "utm_campaign": "fall",
            "name": '"><b>x',
            "evil": "1",
        },
    )
    assert form.status_code == 200
    assert SCRIPT not in form.text and "<b>x" not in form.text
    assert "&lt;script&gt;" in form.text and 'name="utm_campaign" value="fall"' in form.text
    start(client, slot_id, utm_source="x" * 5000, utm_campaign="fall", utm_bogus="no")
    import json

    utm = json.loads(all_leads(db_url)[0]["utm"])
    # plus the way the client came (hosted page or embed), for the dashboard's funnel
    assert utm == {"utm_source": "x" * 200, "utm_campaign": "fall", "via": "hosted"}


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_methods_get_a_friendly_405(client: TestClient, world: World, method: str) -> None:
    for path in (
        "/acme",
        "/acme/portraits",
        f"/acme/portraits/book?slot={world.slots['portraits'][0]}",
    ):
        response = client.request(method, path)
        assert response.status_code == 405 and "isn" in response.text and "<html" in response.text


def test_post_to_read_only_pages(client: TestClient) -> None:
    assert client.post("/acme").status_code == 405
    assert client.post("/acme/portraits").status_code == 405


def test_oversized_body_is_refused(client: TestClient, world: World, db_url: str) -> None:
    response = submit_details(client, world.slots["portraits"][0], name="x" * 70_000)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "That was too much to send" in response.text and "Nothing was saved" in response.text
    assert_nothing_stored(db_url)


def test_file_upload_is_refused(client: TestClient, world: World, db_url: str) -> None:
    response = client.post(
        f"/acme/portraits/book?slot={world.slots['portraits'][0]}",
        data=CLIENT,
        files={"name": ("x.txt", b"hello", "text/plain")},
    )
    assert response.status_code == 400
    assert_nothing_stored(db_url)


def test_too_many_fields_is_refused(client: TestClient, world: World, db_url: str) -> None:
    data = {**CLIENT, **{f"f{i}": "x" for i in range(100)}}
    response = client.post(
        f"/acme/portraits/book?slot={world.slots['portraits'][0]}",
        data=data,
        files={"dummy": (None, "x")},  # multipart, where the field cap applies
    )
    assert response.status_code == 400
    assert_nothing_stored(db_url)


def test_unknown_pages_and_odd_paths(client: TestClient) -> None:
    for path in ("/nope", "/acme/nope", "/%3Cscript%3E", "/acme/portraits/book/extra", "/b/", "/b"):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 404, path
        assert "<script>" not in response.text


class TestTokens:
    """The token is the client's only key to a booking: forged or damaged ones reveal nothing."""

    def test_tampered_token(self, client: TestClient, world: World) -> None:
        token = start(client, world.slots["portraits"][0])
        payload, signature = token.rsplit(".", 1)
        # Flip a middle character: the last one of unpadded base64 carries spare
        # bits, so changing it may decode to the very same signature.
        flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
        for bad in (f"{payload}.{flipped}", payload, token + "x", token[1:], "x" * 500):
            for page in ("", "/quote", "/pay", "/pay/demo", "/calendar.ics"):
                response = client.get(f"/b/{bad}{page}")
                assert response.status_code == 404, (bad, page)
                assert "Traceback" not in response.text
            assert (
                client.post(f"/b/{bad}/pay/demo", data={"card": "4242424242424242"}).status_code
                == 404
            )

    def test_genuine_signature_for_an_unknown_booking(self, client: TestClient) -> None:
        forged = URLSafeSerializer("test-secret-key-0123456789", salt="minis.booking").dumps("nope")
        assert client.get(f"/b/{forged}").status_code == 404

    def test_token_signed_with_another_key(self, client: TestClient, world: World) -> None:
        token = start(client, world.slots["portraits"][0])
        public_id = URLSafeSerializer("x", salt="minis.booking").loads_unsafe(token)[1]
        other = URLSafeSerializer("another-secret-key-000", salt="minis.booking").dumps(public_id)
        assert client.get(f"/b/{other}/quote").status_code == 404

    def test_tokens_are_long_and_differ(self, client: TestClient, world: World) -> None:
        first = start(client, world.slots["portraits"][0])
        second = start(client, world.slots["portraits"][1], email="b@example.com")
        assert first != second and len(first) > 40


def test_security_headers_on_every_page(client: TestClient, world: World) -> None:
    token = start(client, world.slots["portraits"][0])
    for path in ("/", "/acme", "/acme/portraits", f"/b/{token}/quote", "/nope"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


def test_hsts_only_over_https_as_configured(
    client: TestClient, settings: Settings, clock: FakeClock, world: World
) -> None:
    paths = ("/", "/acme/portraits", "/admin", "/nope", "/embed/acme/portraits")
    for path in paths:  # plain http: a browser would ignore it, and it may not be https at all
        assert "strict-transport-security" not in client.get(path).headers
    for seconds, expected in [(None, "max-age=31536000"), (600, "max-age=600"), (0, None)]:
        changed = settings if seconds is None else settings.with_(hsts_seconds=seconds)
        app = create_app(changed, clock=clock)
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as https:
            for path in paths:
                assert https.get(path).headers.get("strict-transport-security") == expected


def test_static_files_are_versioned_and_cached(client: TestClient) -> None:
    page = client.get("/acme").text
    css = page.split('<link rel="stylesheet" href="')[1].split('"')[0]
    assert css.startswith("/static/minis.css?v=")
    response = client.get(css)
    assert response.status_code == 200 and "immutable" in response.headers["cache-control"]


def test_booking_pages_are_never_cached_nor_leak_their_url(
    client: TestClient, world: World
) -> None:
    token = book_with_demo_card(client, world.slots["portraits"][0])
    for path in (f"/b/{token}", f"/b/{token}/calendar.ics", "/b/forged"):
        response = client.get(path)
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
    public = client.get("/acme/portraits")
    assert public.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "no-store" not in public.headers.get("cache-control", "")


def test_payment_forms_refuse_garbage(client: TestClient, world: World, db_url: str) -> None:
    token = start(client, world.slots["portraits"][0])
    client.post(f"/b/{token}/quote", data={"anything": SCRIPT})
    for method in ("", SCRIPT, "offline ", "DEMO", "x" * 10_000):
        response = client.post(f"/b/{token}/pay", data={"method": method})
        assert response.status_code == 422 and SCRIPT not in response.text
    for card in ("", SCRIPT, "4242 4242 4242 424", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "4242" * 100):
        response = client.post(f"/b/{token}/pay/demo", data={"card": card})
        assert response.status_code == 422 and SCRIPT not in response.text
    assert client.get(f"/b/{token}/pay/{SCRIPT}").status_code == 404  # not a path of ours
    unknown = client.get(f"/b/{token}/pay/x{SCRIPT[:7]}", follow_redirects=True)
    assert unknown.status_code == 200 and "x<script" not in unknown.text
    assert all_bookings(db_url)[0]["status"] == "held"
    assert client.put(f"/b/{token}/quote").status_code == 405
    assert client.delete(f"/b/{token}").status_code == 405


# Past PostgreSQL's integer (2**31 - 1), or past what int() reads (4,300 digits): ids no row
# can have. On PostgreSQL the first two used to fail the query instead of finding nothing.
IDS_NO_ROW_CAN_HAVE = ["2147483648", "99999999999", "9" * 5000]


@pytest.mark.parametrize("slot", IDS_NO_ROW_CAN_HAVE)
def test_ids_past_the_databases_integer_are_not_found(
    client: TestClient, db_url: str, slot: str
) -> None:
    assert client.get(f"/acme/portraits/book?slot={slot}").status_code == 404
    assert client.get(f"/embed/acme/portraits/book?slot={slot}").status_code == 404
    posted = client.post(f"/acme/portraits/book?slot={slot}", data=CLIENT)
    assert posted.status_code == 404 and "couldn" in posted.text
    page = client.get(f"/acme/portraits?day={slot}")  # an unknown day: the first one shown
    assert page.status_code == 200 and "Portraits" in page.text
    assert_nothing_stored(db_url)


@pytest.mark.parametrize("raw", IDS_NO_ROW_CAN_HAVE)
def test_dashboard_ids_past_the_databases_integer_are_not_found(
    client: TestClient, acme: World, raw: str
) -> None:
    mini = acme.mini_ids["portraits"]
    for path in (
        f"/admin/bookings/{raw}",
        f"/admin/emails/{raw}/html",
        f"/admin/minis/{raw}/edit",
        f"/admin/minis/{mini}/days/{raw}/edit",
        f"/admin/locations/{raw}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Log out everywhere" in response.text  # the dashboard's own 404, logged in
