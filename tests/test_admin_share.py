"""The share page: links, embed codes that match snippets/ and embed.js, validated options."""

from __future__ import annotations

import re
from html import unescape

from databases import Database
from starlette.testclient import TestClient

from tests.support.databases import run_db
from tests.support.world import World
from widget_server.db.tables import studios

BASE = "http://127.0.0.1:8000"  # settings.base_url in tests


def snippet(html: str, key: str) -> str:
    match = re.search(rf'<textarea id="snippet-{key}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no {key} snippet"
    return unescape(match.group(1))


def test_links_list_public_and_unlisted_minis_only(client: TestClient, acme: World) -> None:
    html = client.get("/admin/share").text
    assert f'value="{BASE}/acme"' in html
    assert f'value="{BASE}/acme/portraits"' in html
    assert f'value="{BASE}/acme/hidden"' in html  # unlisted: shared by link
    assert "/acme/draft-one" not in html
    assert "/rival" not in html


def test_default_snippets_match_the_documented_ones(client: TestClient, acme: World) -> None:
    html = client.get("/admin/share").text
    loader = f'<script async src="{BASE}/embed.js"></script>'
    assert snippet(html, "inline") == f'<div data-minis="acme"></div>\n{loader}'
    assert snippet(html, "popup") == (
        f'<button type="button" data-minis-popup="acme">Book a mini session</button>\n{loader}'
    )
    floating = snippet(html, "floating")
    assert "window.Minis = window.Minis || function () { (Minis.q = Minis.q || []).push" in floating
    assert 'Minis("floating", {"link": "acme", "text": "Book a mini session"});' in floating
    assert floating.endswith(loader)
    assert snippet(html, "iframe") == (
        f'<iframe src="{BASE}/embed/acme" title="Book a mini session" '
        'style="width:100%;height:900px;border:0"></iframe>'
    )


def test_options_flow_into_every_snippet(client: TestClient, acme: World) -> None:
    html = client.get("/admin/share?mini=portraits&theme=dark&color=%23FF3366&new_tab=1").text
    attrs = 'data-minis-theme="dark" data-minis-color="#ff3366" data-minis-new-tab'
    assert snippet(html, "inline").startswith(f'<div data-minis="acme/portraits" {attrs}></div>')
    assert f'data-minis-popup="acme/portraits" {attrs}>' in snippet(html, "popup")
    assert (
        '{"link": "acme/portraits", "text": "Book a mini session", "color": "#ff3366", '
        '"theme": "dark", "newTab": true}'
    ) in snippet(html, "floating")
    iframe = snippet(html, "iframe")
    assert f'src="{BASE}/embed/acme/portraits?theme=dark&amp;color=%23ff3366&amp;tab=new"' in iframe
    assert '<option value="portraits" selected>' in html and 'value="#ff3366"' in html


def test_bad_options_are_dropped_with_a_message(client: TestClient, acme: World) -> None:
    response = client.get(
        "/admin/share",
        params={"mini": "draft-one", "theme": "neon", "color": '"><script>alert(1)</script>'},
    )
    assert response.status_code == 200
    html = response.text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "isn&#39;t a colour like #3b5bdb" in html or "isn't a colour like #3b5bdb" in html
    assert "The theme can be light, dark or auto" in html
    assert "isn&#39;t bookable any more" in html or "isn't bookable any more" in html
    assert snippet(html, "inline").startswith('<div data-minis="acme"></div>')
    assert "alert" not in snippet(html, "floating") + snippet(html, "iframe")


def test_preview_frames_the_embed_page(client: TestClient, acme: World) -> None:
    html = client.get("/admin/share?mini=portraits&theme=dark").text
    match = re.search(r'<iframe class="share-preview" src="([^"]+)"', html)
    assert match, html
    src = unescape(match.group(1))
    assert src == "/embed/acme/portraits?theme=dark"
    preview = client.get(src)
    assert preview.status_code == 200
    assert "frame-ancestors *" in preview.headers["content-security-policy"]
    # The dashboard itself may frame its own origin (default-src 'self' covers frames).
    share_csp = client.get("/admin/share").headers["content-security-policy"]
    assert "default-src 'self'" in share_csp and "frame-src" not in share_csp


def allow(db_url: str, origins: str) -> None:
    async def work(db: Database) -> None:
        await db.execute(
            studios.update().where(studios.c.slug == "acme").values(allowed_origins=origins)
        )

    run_db(db_url, work)


def test_restricted_origins_explain_the_preview(
    client: TestClient, acme: World, db_url: str
) -> None:
    allow(db_url, "https://jane.example")
    html = client.get("/admin/share").text
    assert "share-preview" not in html
    assert f"Add <code>{BASE}</code> to the allowed origins" in html
    for own in (BASE, "http://testserver"):  # the public address, or the one served
        allow(db_url, f"https://jane.example {own}")
        assert 'class="share-preview"' in client.get("/admin/share").text
    policy = client.get("/embed/acme").headers["content-security-policy"]
    assert "frame-ancestors https://jane.example http://testserver" in policy


def test_share_page_needs_login(client: TestClient, world: World) -> None:
    response = client.get("/admin/share")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin?next=/admin/share"


def test_new_pages_are_in_the_navigation(client: TestClient, acme: World) -> None:
    nav = re.search(r'<nav class="admin-nav".*?</nav>', client.get("/admin/bookings").text, re.S)
    assert nav
    for link in ("/admin/bookings", "/admin/feed", "/admin/share"):
        assert f'href="{link}"' in nav.group(0)
