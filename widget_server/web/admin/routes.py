"""The dashboard's routes, each area's from its own module (they mirror studio/)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import (
    actions,
    auth,
    bookings,
    days,
    drop,
    emails,
    export,
    feed,
    integrations,
    locations,
    minis,
    notify,
    overview,
    pricing,
    settings,
    share,
    waitlist,
)

routes: list[BaseRoute] = [
    *auth.routes,
    *overview.routes,
    *bookings.routes,
    *actions.routes,
    *export.routes,
    *feed.routes,
    *share.routes,
    *emails.routes,
    *minis.routes,
    *waitlist.routes,
    *drop.routes,
    *notify.routes,
    *days.routes,
    *settings.routes,
    *locations.routes,
    *integrations.routes,
    *pricing.routes,
]
