"""Schemathesis against the API's own OpenAPI document, over real HTTP to a live server, on
SQLite and PostgreSQL: for generated requests, valid and invalid, no 5xx, and every answer
(status, content type, headers, body) is what the document says.

Seeded (derandomised): a failure repeats on the next run and can be shrunk and fixed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api import bearer, make_key
from tests.support.databases import run_db
from tests.support.live_server import live_server
from tests.support.world import World, build_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}


def _seed(base: str, key: str, world: World) -> None:
    """Some bookings (booked, held, cancelled) so reads and writes find real rows."""
    with httpx2.Client(base_url=base, headers=bearer(key)) as client:
        for n, slot_id in enumerate(world.slots["family"][:3]):
            client.post(
                "/api/v1/bookings",
                json={
                    "slot_id": slot_id,
                    "name": f"Client {n}",
                    "email": f"c{n}@example.com",
                    "phone": "+12125550143",
                    "status": "held" if n == 1 else "booked",
                },
            ).raise_for_status()
        client.post("/api/v1/bookings/1/cancel", json={}).raise_for_status()


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
def test_every_operation_answers_as_documented(
    db_url: str, tmp_path: Path, mode: GenerationMode
) -> None:
    # The live server runs on the real clock: a world built at any hour (a portraits time
    # within two hours of now, which the page tests use, exists only in the afternoon).
    world = run_db(db_url, lambda db: build_world(db, datetime.now(UTC), edge_slots=False))
    key = make_key(db_url, datetime.now(UTC))
    log = tmp_path / "uvicorn.log"
    with live_server(db_url, log_path=log) as base:
        _seed(base, key, world)
        schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 12
        seen: set[int] = set()
        for operation in operations:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES[mode],
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                response = case.call(base_url=base, headers=bearer(key), timeout=30)
                seen.add(response.status_code)
                case.validate_response(response, checks=CHECKS)

            run()
    assert not any(status >= 500 for status in seen)
    # The generated requests reached past validation, and were refused too.
    assert {200, 404} <= seen and (422 in seen or 400 in seen)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
