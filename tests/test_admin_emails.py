"""The dashboard's emails: the list, one email's text, its HTML under a CSP that runs
nothing; another studio's emails are a 404 like ones that never existed."""

from __future__ import annotations

import re
from html import unescape

from starlette.testclient import TestClient

from tests.support.admin import RIVAL_EMAIL, csrf_from, log_in
from tests.support.clock import FakeClock
from tests.support.flow import accept_quote, book_with_demo_card, pay_demo, start
from tests.support.world import World


def email_links(html: str) -> dict[str, int]:
    """The list's links: email name → id."""
    return {
        unescape(name): int(email_id)
        for email_id, name in re.findall(r'<a href="/admin/emails/(\d+)">([^<]+)</a>', html)
    }


def test_the_list_one_email_and_its_html(client: TestClient, acme: World) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    listing = client.get("/admin/emails")
    assert listing.status_code == 200
    links = email_links(listing.text)
    assert set(links) == {"Confirmation to the client", "New booking, to you"}
    assert "isn't set up on this server" in listing.text  # no MINIS_SMTP_URL in tests
    assert listing.headers["cache-control"] == "no-store"

    page = client.get(f"/admin/emails/{links['Confirmation to the client']}")
    assert page.status_code == 200
    text = unescape(page.text)
    assert "ada@example.com" in text and "Pending" in text
    body = text.split('<pre class="email-text">', 1)[1].split("</pre>", 1)[0]
    assert "Ada" in body and "/b/" in body  # the text as sent, with the manage link
    assert ".ics" in text  # the calendar file is listed as attached

    html = client.get(f"/admin/emails/{links['Confirmation to the client']}/html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    policy = html.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "Ada" in html.text and "<script" not in html.text.lower()

    # the booking's own page links each of its emails here
    [booking_id] = set(re.findall(r'href="/admin/bookings/(\d+)"', page.text))
    booking_page = client.get(f"/admin/bookings/{booking_id}")
    assert f'href="/admin/emails/{links["New booking, to you"]}"' in booking_page.text


def test_a_clients_markup_is_text_in_every_view(client: TestClient, acme: World) -> None:
    hostile = "<b>Bob</b> <script>x()</script>"
    token = start(client, acme.slots["portraits"][0], name=hostile)
    assert email_links(client.get("/admin/emails").text) == {}  # a hold writes no email
    accept_quote(client, token)
    assert pay_demo(client, token).status_code == 303
    links = email_links(client.get("/admin/emails").text)
    assert len(links) == 2
    for email_id in links.values():
        page = client.get(f"/admin/emails/{email_id}")
        assert "&lt;script&gt;x()" in page.text and "<script>x()" not in page.text
        html = client.get(f"/admin/emails/{email_id}/html")
        assert "&lt;script&gt;x()" in html.text and "<script>x()" not in html.text


def test_other_studios_and_unknown_emails_are_not_found(
    client: TestClient, acme: World, clock: FakeClock
) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    acme_ids = set(email_links(client.get("/admin/emails").text).values())
    client.post("/admin/logout", data={"csrf": csrf_from(client.get("/admin/emails").text)})
    log_in(client, RIVAL_EMAIL)
    assert email_links(client.get("/admin/emails").text) == {}
    for email_id in [*acme_ids, 999_999, 2**31, 2**70]:
        for suffix in ("", "/html"):
            response = client.get(f"/admin/emails/{email_id}{suffix}")
            assert response.status_code == 404, (email_id, suffix)
            assert "There is no email with that number in your studio." in unescape(response.text)


def test_emails_need_a_login(client: TestClient, world: World) -> None:
    for path in ("/admin/emails", "/admin/emails/1", "/admin/emails/1/html"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin?next=")
