"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A UTC instant: aware datetimes in, aware UTC datetimes out.

    Stored naive (in UTC) so SQLite's text form and PostgreSQL's ``timestamp``
    compare the same way; refusing naive input keeps local times from sneaking in.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text, should a query bypass the type
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)
