"""The dashboard's routes, each area's from its own module (they mirror studio/)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import (
    actions,
    auth,
    bookings,
    days,
    emails,
    export,
    feed,
    locations,
    minis,
    overview,
    pricing,
    settings,
    share,
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
    *days.routes,
    *settings.routes,
    *locations.routes,
    *pricing.routes,
]
