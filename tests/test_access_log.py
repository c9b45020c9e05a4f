"""Clients' prefilled details never reach the access log of a real uvicorn."""

from __future__ import annotations

from pathlib import Path

import httpx2

from tests.support.live_server import live_server
from tests.support.world import World
from widget_server.web.access_log import redact_path


def test_prefilled_details_are_redacted_in_every_worker_log(
    db_url: str, world: World, tmp_path: Path
) -> None:
    log = tmp_path / "uvicorn.log"
    query = "name=Ada+Lovelace&email=ada%40example.com&phone=%2B15555550100&utm_source=ig"
    with live_server(db_url, workers=2, log_path=log, log_level="info") as base:
        for _ in range(6):  # enough requests for both workers to answer some
            page = httpx2.get(f"{base}/acme/portraits?{query}", timeout=10)
            assert page.status_code == 200
            assert "Lovelace" in page.text  # the widget still carries the prefill on
    text = log.read_text()
    assert text.count("GET /acme/portraits?") == 6, text
    assert "name=***&email=***&phone=***&utm_source=ig" in text
    for secret in ("Lovelace", "ada%40example.com", "ada@example.com", "15555550100"):
        assert secret not in text


def test_redact_path_keeps_everything_else() -> None:
    assert redact_path("/acme/portraits") == "/acme/portraits"
    assert redact_path("/acme/portraits?utm_source=ig") == "/acme/portraits?utm_source=ig"
    assert redact_path("/acme/p/book?slot=4&email=a%40b.c&name=") == (
        "/acme/p/book?slot=4&email=***&name=***"
    )
