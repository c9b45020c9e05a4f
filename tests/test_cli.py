"""The `minis` command, run as a user would run it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
import sqlalchemy as sa

from tests.support.keys import STRONG_SECRET_KEY
from tests.support.live_server import free_port
from tests.support.queries import rows
from widget_server.config import DEMO_SECRET_KEY
from widget_server.db.tables import studios, users
from widget_server.demo_waiting import DROP_EARLY_KEY

MINIS = str(Path(sys.executable).with_name("minis"))


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MINIS_")}
    return subprocess.run(
        [MINIS, *args],
        env={**clean, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run("serve", env={"MINIS_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 2 and "MINIS_SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize("command", ["serve", "worker"])
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MINIS_DEMO": "1", "MINIS_SECRET_KEY": STRONG_SECRET_KEY}, "MINIS_DEMO is only for"),
        ({"MINIS_SECRET_KEY": DEMO_SECRET_KEY}, "the demo's built-in key, which is public"),
        ({"MINIS_SECRET_KEY": "a" * 16}, "MINIS_SECRET_KEY is too weak"),
    ],
)
def test_serve_and_worker_refuse_demo_mode_and_weak_or_public_keys(
    tmp_path: Path, command: str, env: dict[str, str], message: str
) -> None:
    result = run(command, env={"MINIS_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env})
    assert result.returncode == 2 and message in result.stderr
    assert 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"' in result.stderr
    assert not (tmp_path / "x.db").exists()  # refused before touching the database


def test_unknown_setting_is_refused(tmp_path: Path) -> None:
    result = run(
        "migrate", env={"MINIS_SECRET_KEY": STRONG_SECRET_KEY, "MINIS_DATABSE_URL": "oops"}
    )
    assert result.returncode == 2 and "MINIS_DATABSE_URL" in result.stderr


def test_migrate_and_create_user(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/prod.db"
    env = {"MINIS_DATABASE_URL": url, "MINIS_SECRET_KEY": STRONG_SECRET_KEY}
    assert run("migrate", env=env).returncode == 0
    created = run(
        "create-user",
        "--studio",
        "jane-doe",
        "--email",
        "Jane@Example.com",
        "--studio-name",
        "Jane Doe Photo",
        "--timezone",
        "Europe/Paris",
        "--currency",
        "EUR",
        "--password-stdin",
        env=env,
        stdin="correct horse battery\n",
    )
    assert created.returncode == 0, created.stderr
    assert "created studio 'jane-doe'" in created.stdout
    [studio] = rows(url, sa.select(studios))
    assert (studio["name"], studio["timezone"], studio["currency"]) == (
        "Jane Doe Photo",
        "Europe/Paris",
        "EUR",
    )
    [user] = rows(url, sa.select(users))
    assert user["email"] == "jane@example.com"
    assert user["password_hash"].startswith("$argon2") and "correct" not in user["password_hash"]

    again = run(
        "create-user",
        "--studio",
        "jane-doe",
        "--email",
        "jane@example.com",
        "--password-stdin",
        env=env,
        stdin="another password\n",
    )
    assert again.returncode == 2 and "could not create the user" in again.stderr
    short = run(
        "create-user",
        "--studio",
        "jane-doe",
        "--email",
        "b@example.com",
        "--password-stdin",
        env=env,
        stdin="short\n",
    )
    assert short.returncode == 2 and "at least 8" in short.stderr
    reserved = run(
        "create-user",
        "--studio",
        "admin",
        "--email",
        "c@example.com",
        "--password-stdin",
        env=env,
        stdin="long enough password\n",
    )
    assert reserved.returncode == 2 and "slug" in reserved.stderr


def _start_demo(db: Path, port: int) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MINIS_")}
    return subprocess.Popen(
        [MINIS, "demo", "--port", str(port), "--db", str(db)],
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.HTTPError:
            time.sleep(0.1)
    raise AssertionError("demo did not start")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=15)
    return output


def test_demo_serves_seeded_data_and_keeps_it(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start_demo(db, port)
    try:
        _wait(base)
        studio = httpx2.get(f"{base}/demo")
        assert "Fall Minis" in studio.text and "Santa Minis" in studio.text
        page = httpx2.get(f"{base}/demo/fall-minis").text
        slot = page.split("book?slot=")[1].split('"')[0]
        booked = httpx2.post(
            f"{base}/demo/fall-minis/book?slot={slot}",
            data={"name": "Kept", "email": "kept@example.com", "phone": "+12125550143"},
        )
        assert booked.status_code == 303
        sold_out = httpx2.get(f"{base}/demo/sunflower-minis").text
        assert "Fully booked: join the waitlist" in sold_out and "book?slot=" not in sold_out
        drop = httpx2.get(f"{base}/demo/spring-minis").text
        assert "Booking opens" in drop and "book?slot=" not in drop
        early = httpx2.get(f"{base}/demo/spring-minis?early={DROP_EARLY_KEY}").text
        assert "Early access" in early and "book?slot=" in early
    finally:
        output = _stop(process)
    assert f"early access   {base}/demo/spring-minis?early={DROP_EARLY_KEY}" in output
    assert "seeded" in output and f"{base}/demo/fall-minis" in output
    assert "demo@minis.test" in output
    assert f"Dashboard        {base}/admin" in output

    process = _start_demo(db, port)
    try:
        _wait(base)
        quote = httpx2.get(base + booked.headers["location"])
        assert quote.status_code == 200 and "Kept" in quote.text
    finally:
        output = _stop(process)
    assert "existing data kept" in output


def test_make_demo_serves_on_the_port_and_file_given(tmp_path: Path) -> None:
    # The README's `make demo PORT=8080 DB=/tmp/try.db`, with this venv's `minis` (BIN) and
    # its install taken as done (a fresh STAMP), so nothing is installed.
    stamp = tmp_path / "installed"
    stamp.touch()
    db = tmp_path / "made.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MINIS_")}
    make = subprocess.Popen(
        ["make", "demo", f"PORT={port}", f"DB={db}", f"BIN={Path(MINIS).parent}", f"STAMP={stamp}"],
        cwd=Path(__file__).resolve().parents[1],
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # so that Ctrl-C (SIGINT) reaches make and minis alike
    )
    try:
        _wait(base)
        assert "Fall Minis" in httpx2.get(f"{base}/demo").text
    finally:
        os.killpg(make.pid, signal.SIGINT)
        output, _ = make.communicate(timeout=15)
    assert f"Minis demo seeded: sqlite:///{db}" in output
    assert f"Dashboard        {base}/admin" in output
    assert db.exists()


def test_worker_releases_lapsed_holds(db_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from databases import Database

    from tests.support.databases import run_db
    from tests.support.queries import all_bookings, taken
    from tests.support.world import build_world
    from widget_server.booking.availability import slot_of
    from widget_server.booking.bookings import start_booking
    from widget_server.booking.catalog import bookable_mini_session
    from widget_server.booking.details import ClientDetails
    from widget_server.booking.places import location_of_slot

    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)

    async def hold_that_lapsed(db: Database) -> int:
        world = await build_world(db, an_hour_ago, edge_slots=False)
        found = await bookable_mini_session(db, "acme", "portraits")
        assert found is not None
        studio, mini = found
        slot = await slot_of(db, mini.id, 0, world.slots["portraits"][0], an_hour_ago)
        await start_booking(
            db,
            studio=studio,
            mini=mini,
            slot=slot,
            location=await location_of_slot(db, slot.id),
            details=ClientDetails("Ada", "ada@example.com", "+12125550143"),
            utm={},
            now=an_hour_ago,
        )
        return slot.id

    slot_id = run_db(db_url, hold_that_lapsed)
    assert taken(db_url, slot_id) == 1
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MINIS_")}
    env = {**clean, "MINIS_DATABASE_URL": db_url, "MINIS_SECRET_KEY": STRONG_SECRET_KEY}
    worker = subprocess.Popen([MINIS, "worker"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while all_bookings(db_url)[0]["status"] == "held" and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGINT)
        _, errors = worker.communicate(timeout=15)
    assert all_bookings(db_url)[0]["status"] == "expired", errors
    assert taken(db_url, slot_id) == 0
    assert "released 1 expired holds" in errors and "Traceback" not in errors


def test_serve_migrates_and_serves_with_several_workers(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MINIS_")}
    env = {
        **clean,
        "MINIS_DATABASE_URL": f"sqlite:///{tmp_path}/prod.db",
        "MINIS_SECRET_KEY": STRONG_SECRET_KEY,
    }
    process = subprocess.Popen(
        [MINIS, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait(base)
        assert httpx2.get(f"{base}/no-such-studio").status_code == 404
    finally:
        output = _stop(process)
    assert "Traceback" not in output
    assert rows(f"sqlite:///{tmp_path}/prod.db", sa.select(studios)) == []
