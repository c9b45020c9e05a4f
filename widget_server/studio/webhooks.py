"""A studio's webhook endpoints: add (with a new signing secret), pause, resume, remove.

Deliveries themselves are db/webhook_outbox.py's; the sender is outgoing/sender.py. Every
lookup carries the studio's id, so another studio's endpoint is the same as none.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from databases import Database

from ..booking.webhook_events import EVENT_TYPES
from ..db.limits import storable
from ..db.rows import fetch_all_as, fetch_one_as
from ..db.tables import webhook_endpoints
from ..db.transactions import write_transaction
from ..i18n import gettext as _
from ..outgoing.addresses import check_url, is_public
from ..outgoing.signing import new_secret

endpoints = webhook_endpoints


@dataclass(frozen=True)
class Endpoint:
    id: int
    studio_id: int
    url: str
    events: str
    secret: str
    state: str
    consecutive_failures: int
    paused_reason: str
    created_at: datetime

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


def check_endpoint(url: str, events: list[str], *, allow_private: bool) -> dict[str, str]:
    """Field errors of the endpoint form. The address rule is checked again at each send
    (a name can resolve elsewhere later); here it catches the obvious mistakes early."""
    errors: dict[str, str] = {}
    problem = check_url(url.strip()) if storable(url) else _("That isn't a valid URL.")
    if problem:
        errors["url"] = problem
    elif not allow_private:
        host = urlsplit(url.strip()).hostname or ""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        local_names = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
        if local_names or (literal is not None and not is_public(str(literal))):
            errors["url"] = _("Webhooks only go to public internet addresses.")
    if not events:
        errors["events"] = _("Choose at least one event.")
    elif any(e not in EVENT_TYPES for e in events):
        errors["events"] = _("Choose events from the list.")
    return errors


async def create_endpoint(
    db: Database, studio_id: int, url: str, events: list[str], now: datetime
) -> int:
    async with write_transaction(db):
        return int(
            await db.execute(
                endpoints.insert().values(
                    studio_id=studio_id,
                    url=url.strip(),
                    events=" ".join(e for e in EVENT_TYPES if e in events),
                    secret=new_secret(),
                    state="active",
                    created_at=now,
                )
            )
        )


async def studio_endpoints(db: Database, studio_id: int) -> list[Endpoint]:
    return await fetch_all_as(
        db,
        endpoints.select()
        .where(endpoints.c.studio_id == studio_id, endpoints.c.deleted_at.is_(None))
        .order_by(endpoints.c.id),
        Endpoint,
    )


async def studio_endpoint(db: Database, studio_id: int, endpoint_id: int) -> Endpoint | None:
    return await fetch_one_as(
        db,
        endpoints.select().where(
            endpoints.c.id == endpoint_id,
            endpoints.c.studio_id == studio_id,
            endpoints.c.deleted_at.is_(None),
        ),
        Endpoint,
    )


async def _update(db: Database, studio_id: int, endpoint_id: int, **values: object) -> bool:
    async with write_transaction(db):
        row = await db.fetch_one(
            endpoints.update()
            .where(
                endpoints.c.id == endpoint_id,
                endpoints.c.studio_id == studio_id,
                endpoints.c.deleted_at.is_(None),
            )
            .values(**values)
            .returning(endpoints.c.id)
        )
    return row is not None


async def pause_endpoint(db: Database, studio_id: int, endpoint_id: int) -> bool:
    """Nothing is sent while paused; deliveries wait and go out in order on resume."""
    return await _update(
        db, studio_id, endpoint_id, state="paused", paused_reason=_("Paused by you.")
    )


async def resume_endpoint(db: Database, studio_id: int, endpoint_id: int) -> bool:
    return await _update(
        db, studio_id, endpoint_id, state="active", paused_reason="", consecutive_failures=0
    )


async def delete_endpoint(db: Database, studio_id: int, endpoint_id: int, now: datetime) -> bool:
    """Removed: nothing more is queued or sent to it (its log is kept)."""
    return await _update(db, studio_id, endpoint_id, deleted_at=now)
