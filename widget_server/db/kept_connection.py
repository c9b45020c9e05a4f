"""A task's connection that, once a request asks for it, is taken at its first query and
kept until the request ends.

``databases`` gives each task a ``Connection`` that takes a pooled connection when the
first block using it opens and gives it back when the last one closes: outside a
transaction, every query takes and returns one. A request that kept a connection from
its first line (web/request_connection.py) queued for the pool even when it would never
query, as a mini session's page answered from the availability cache does: under a drop's
stampede, such pages waited behind every form in the queue for nothing.

With ``keep`` set (db/connection_scope.one_connection), the pooled connection is taken by
the first query or transaction and stays with the task, whatever blocks open and close,
until ``give_back()``. Without it, this is ``databases``' own behaviour.

A statement executed outside any transaction commits on its own: the commit listeners
hear of it as of a write transaction's (db/transactions.committed), so no copy of what
the database says outlives a write, whichever way it was made.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

from databases.core import Connection
from sqlalchemy.sql import ClauseElement

from .transactions import committed


class KeptConnection(Connection):
    keep = False  # set for a request's scope: keep the pooled connection once taken
    kept = False  # holding a pooled connection beyond the blocks that use it

    async def __aenter__(self) -> KeptConnection:
        async with self._connection_lock:
            self._connection_counter += 1
            try:
                if self._connection_counter == 1 and not self.kept:
                    await self._connection.acquire()
                    self.kept = self.keep
            except BaseException:
                self._connection_counter -= 1
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        async with self._connection_lock:
            self._connection_counter -= 1
            if self._connection_counter == 0 and not self.kept:
                await self._connection.release()
                self._database._connection = None

    async def give_back(self) -> None:
        """The end of the request: the pooled connection, if one was taken, goes back."""
        async with self._connection_lock:
            if self.kept and self._connection_counter == 0:
                self.kept = False
                await self._connection.release()

    async def execute(
        self, query: ClauseElement | str, values: dict[str, Any] | None = None
    ) -> Any:
        result = await super().execute(query, values)
        if not self._transaction_stack:
            committed(self._database)
        return result

    async def execute_many(
        self, query: ClauseElement | str, values: Sequence[dict[str, Any]]
    ) -> None:
        await super().execute_many(query, list(values))
        if not self._transaction_stack:
            committed(self._database)
