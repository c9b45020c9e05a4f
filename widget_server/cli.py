"""The ``minis`` command: a thin layer over create_app and the domain.

minis demo [--host H] [--port N] [--db PATH]
minis serve [--host H] [--port N] [--workers N]
minis migrate
minis worker
minis create-user --studio SLUG --email EMAIL [--password-stdin]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import getpass
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import uvicorn

from .config import ConfigError, Settings, load_settings
from .db.connection import close_database, create_database
from .db.transactions import write_transaction


def _fail(message: str) -> None:
    print(f"minis: {message}", file=sys.stderr)
    raise SystemExit(2)


def _settings(demo: bool = False) -> Settings:
    try:
        return load_settings(demo=demo)
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable; for type checkers


def _proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's forwarded-header handling: only for the proxies MINIS_TRUSTED_PROXIES names.

    uvicorn's own default believes X-Forwarded-For from 127.0.0.1, so anything on the host
    (or any client, when nothing proxies) could pose as any address to the login limit.
    """
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


async def _seed_demo(settings: Settings) -> bool:
    from .booking.clock import system_clock
    from .demo import seed_demo
    from .demo_waiting import seed_drop_demo, seed_waitlist_demo

    db = create_database(settings.database_url)
    await db.connect()
    try:
        created = await seed_demo(db, system_clock())
        # Added to older demo databases too, so the waitlist can be tried on them.
        await seed_waitlist_demo(db, system_clock())
        await seed_drop_demo(db, system_clock())
        return created
    finally:
        await db.disconnect()


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the app's own ``minis`` loggers at info in the same format:
    without it uvicorn leaves them unconfigured, and what the app says (a client gone
    mid-request, a 408, hold sweeps, refunds made) never reaches the server's log."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["minis"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def cmd_demo(args: argparse.Namespace) -> None:
    from .demo import DEMO_EMAIL, DEMO_PASSWORD
    from .demo_waiting import DROP_EARLY_KEY

    if args.db:
        os.environ["MINIS_DATABASE_URL"] = f"sqlite:///{Path(args.db).resolve()}"
    base = f"http://{args.host}:{args.port}"
    os.environ.setdefault("MINIS_BASE_URL", base)
    settings = _settings(demo=True)
    from .db.migrate import migrate

    migrate(settings.database_url)
    created = asyncio.run(_seed_demo(settings))
    stripe_line = (
        f"\n  Card (Stripe)    on: webhooks to {base}/webhooks/stripe"
        if settings.stripe_secret_key
        else ""
    )
    print(
        f"""
Minis demo {"seeded" if created else "(existing data kept)"}: {settings.database_url}

  Booking site     {base}/demo
  Fall minis       {base}/demo/fall-minis      (1 client per slot, deposit, 2 time zones)
  Santa minis      {base}/demo/santa-minis     (3 clients per slot)
  Family minis     {base}/demo/family-minis    (questions, a contract, party size, add-ons, tax)
  Sunflower minis  {base}/demo/sunflower-minis (sold out, with a waitlist)
  Spring minis     {base}/demo/spring-minis    (opens later: a countdown)
    early access   {base}/demo/spring-minis?early={DROP_EARLY_KEY}
  Code WELCOME10   10 % off family-minis at its checkout
  Demo card        4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined{stripe_line}

  Dashboard        {base}/admin  (log in as {DEMO_EMAIL} / {DEMO_PASSWORD})
""",
        flush=True,
    )
    from .app import create_app

    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=log_config(),
        access_log=settings.access_log,
        **_proxy_options(settings),
    )


# On SIGTERM, requests in flight get this long to finish before they are cancelled (one
# stuck on a database that stopped answering would otherwise hold shutdown forever).
GRACEFUL_SHUTDOWN_SECONDS = 5
# What `minis worker` gives its pool to close on the way out.
DATABASE_CLOSE_SECONDS = 3


def cmd_serve(args: argparse.Namespace) -> None:
    settings = _settings()
    _migrate_apart()
    uvicorn.run(
        "widget_server.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        log_config=log_config(),
        access_log=settings.access_log,
        **_proxy_options(settings),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = _settings()
    from .db.migrate import migrate

    migrate(settings.database_url)
    print("database is up to date")


def _migrate_apart() -> None:
    """``minis migrate``, in a child process. Alembic and the engine it runs the migrations
    on are about 20 MiB that the serving process (with one worker, uvicorn serves in this
    very process) would otherwise carry for its whole life."""
    command = [sys.executable, "-c", "from widget_server.cli import main; main()", "migrate"]
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        raise SystemExit(done.returncode)


async def _work(settings: Settings, mail_interval: float) -> None:
    """Upkeep (lapsed holds, failed refunds), the outbox (reminders, delivery) and outgoing
    webhooks, side by side until interrupted.

    SIGINT and SIGTERM stop it gracefully: the email being sent is finished and
    marked sent first, so a restart never sends it again.
    """
    from .booking.clock import system_clock
    from .mail.sender import send_mail_forever
    from .outgoing.sender import send_webhooks_forever
    from .payments import PaymentMethods
    from .upkeep import upkeep_forever

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Built here from the settings, as create_app does: refunds retried by this process
    # reach the provider with the deployment's own keys.
    methods = PaymentMethods.from_settings(settings)
    db = create_database(settings.database_url)
    await db.connect()
    try:
        await asyncio.gather(
            upkeep_forever(db, system_clock, methods, 15, stop),
            send_mail_forever(db, settings, system_clock, interval=mail_interval, stop=stop),
            send_webhooks_forever(
                db,
                system_clock,
                allow_private=settings.webhooks_allow_private,
                interval=mail_interval,
                stop=stop,
            ),
        )
    finally:
        await close_database(db, DATABASE_CLOSE_SECONDS)
    logging.getLogger("minis").info("worker stopped")


def cmd_worker(args: argparse.Namespace) -> None:
    settings = _settings()
    logging.basicConfig(level=logging.INFO)
    if not settings.smtp_url:
        logging.getLogger("minis").warning(
            "MINIS_SMTP_URL is not set: emails stay in the outbox (pending) until it is"
        )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_work(settings, args.mail_interval))


async def _create_user(settings: Settings, args: argparse.Namespace, password: str) -> str:
    from .booking.catalog import studio_by_slug
    from .booking.clock import system_clock
    from .studio.accounts import create_studio, create_user

    db = create_database(settings.database_url)
    await db.connect()
    try:
        now = system_clock()
        studio = await studio_by_slug(db, args.studio)
        async with write_transaction(db):
            if studio is None:
                studio_id = await create_studio(
                    db,
                    slug=args.studio,
                    name=args.studio_name or args.studio,
                    notify_email=args.email,
                    timezone=args.timezone,
                    currency=args.currency,
                    now=now,
                )
                note = f"created studio {args.studio!r} and user {args.email}"
            else:
                studio_id = studio.id
                note = f"created user {args.email} for studio {args.studio!r}"
            await create_user(db, studio_id=studio_id, email=args.email, password=password, now=now)
        return note
    finally:
        await db.disconnect()


def cmd_create_user(args: argparse.Namespace) -> None:
    settings = _settings()
    from .db.migrate import migrate

    migrate(settings.database_url)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
    try:
        print(asyncio.run(_create_user(settings, args, password)))
    except ValueError as exc:
        _fail(str(exc))
    except Exception as exc:  # e.g. the email is already taken (unique constraint)
        _fail(f"could not create the user: {exc.__class__.__name__}: {exc}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minis", description="Mini session booking.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run on SQLite with demo data")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--db", help="SQLite file (default: ./minis.db)")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run in production (needs MINIS_SECRET_KEY)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        func=cmd_migrate
    )
    worker = sub.add_parser("worker", help="release expired holds, queue reminders, send email")
    worker.add_argument(
        "--mail-interval", type=float, default=2.0, help="seconds between outbox rounds"
    )
    worker.set_defaults(func=cmd_worker)

    user = sub.add_parser("create-user", help="create an admin user (and its studio if new)")
    user.add_argument("--studio", required=True, help="studio slug, e.g. jane-doe-photo")
    user.add_argument("--email", required=True)
    user.add_argument("--studio-name", help="display name when the studio is new")
    user.add_argument("--timezone", default="America/New_York", help="for a new studio")
    user.add_argument("--currency", default="USD", help="for a new studio")
    user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    user.set_defaults(func=cmd_create_user)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)
