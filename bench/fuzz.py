"""``make fuzz``: the fuzz of tests/test_fuzz.py, 10,000 requests per database, no 5xx allowed.

    python -m bench.fuzz [--requests N] [--seed S] [--database sqlite|postgres|both]

The same generator and checks as the test (tests/support/fuzz.py), on the test world
(two studios, every kind of mini session, bookings in every state, a logo, a logged-in
photographer, the stand-in Stripe), against the app in-process (Starlette's TestClient):
a fresh SQLite file, and a scratch PostgreSQL database when one is reachable (see
bench/README.md). Prints one row per database and, for any 5xx, one line per kind of
failure with the first request that hit it; exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from starlette.testclient import TestClient

from tests.support import fuzz_session
from tests.support.admin import log_in
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.stripe_server import SECRET_KEY, WEBHOOK_SECRET, stand_in_stripe
from tests.support.world import build_world
from widget_server.app import create_app
from widget_server.config import Settings
from widget_server.db.migrate import migrate

from .fixtures import postgres_admin_url, scratch_postgres
from .report import heading, note, table

REQUESTS = 10_000


def fuzz_database(url: str, requests: int, seed: int) -> fuzz_session.Session:
    """The test world in the migrated, empty database at ``url``, then one fuzz run."""
    clock = FakeClock()
    world = run_db(url, lambda db: build_world(db, clock()))
    fuzz_session.prepare_database(url, clock)
    with stand_in_stripe(clock=lambda: clock().timestamp()) as stripe_api:
        settings = Settings(
            database_url=url,
            secret_key="bench-fuzz-secret-key-0123",
            demo=True,
            run_sweeper=False,
            run_mailer=False,
            stripe_secret_key=SECRET_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=stripe_api.base_url,
        )
        app = create_app(settings, clock=clock)
        with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
            log_in(client)
            return fuzz_session.session(client, stripe_api, world, requests, seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--requests", type=int, default=REQUESTS, help="per database")
    parser.add_argument("--seed", type=int, default=fuzz_session.DEFAULT_SEED)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    heading(f"Fuzz: {args.requests:,} seeded hostile requests per database, seed {args.seed}")
    runs: list[tuple[str, fuzz_session.Session]] = []
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="minis-fuzz-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'fuzz.db'}"
            migrate(url)
            runs.append(("SQLite", fuzz_database(url, args.requests, args.seed)))
    if args.database in ("postgres", "both"):
        admin = postgres_admin_url()
        if admin is None:
            note("PostgreSQL: skipped (no server; set MINIS_TEST_POSTGRES_URL to an admin URL)")
        else:
            with scratch_postgres(admin) as url:
                runs.append(("PostgreSQL", fuzz_database(url, args.requests, args.seed)))
    rows = []
    for name, run in runs:
        o = run.outcome
        rows.append(
            [
                name,
                o.requests,
                o.not_sent,
                ", ".join(f"{status}: {n}" for status, n in sorted(o.statuses.items())),
                o.server_errors,
                len(run.crawl_errors),
                len(run.uncovered),
                f"{o.seconds:.0f}",
                f"{o.requests / o.seconds:.0f}" if o.seconds else "n/a",
            ]
        )
    table(
        [
            "database",
            "requests",
            "not sendable",
            "by status",
            "5xx",
            "crawl 5xx",
            "routes missed",
            "s",
            "req/s",
        ],
        rows,
    )
    failed = False
    for name, run in runs:
        print(f"\n{name}: {run.outcome.report()}")
        failed |= bool(run.outcome.server_errors or run.crawl_errors or run.uncovered)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
