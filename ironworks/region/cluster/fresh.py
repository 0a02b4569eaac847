"""A process's short-lived database sessions: heartbeats and health checks, on a new connection
each time, one at a time.

Why new connections: they are what the database refuses first.  During a smart shutdown the
server keeps existing sessions and refuses new ones ("the database system is shutting down"), so
only a new connection tells the truth about whether this region can go on serving, and it holds
nothing between uses, so it never keeps a shutdown waiting.  Why apart from the request pool:
liveness must not queue behind requests (under load, heartbeats waiting for a pooled connection
got whole regions reaped).  One at a time, so it costs one connection of the budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

# Health answers from a check at most this old: at most one new connection per second for it.
PROBE_CACHE_S = 1.0


@dataclass(frozen=True)
class Probe:
    """What the last new connection found."""

    ok: bool
    reason: str  # why not, for the health answer and the log
    at: float  # time.monotonic()
    shutting_down: bool = False  # the server refuses new sessions: let go of ours
    db_now: datetime | None = None


def refuses_new_sessions(exc: BaseException) -> bool:
    """The server is shutting down (smart shutdown): it keeps existing sessions until they end."""
    orig = getattr(exc, "orig", exc)
    return isinstance(orig, psycopg.errors.CannotConnectNow) or "shutting down" in str(orig)


class FreshSessions:
    def __init__(self, conninfo: str) -> None:
        self.engine = create_async_engine(
            "postgresql+psycopg://", poolclass=NullPool,
            async_creator=lambda: psycopg.AsyncConnection.connect(conninfo))
        self.last: Probe | None = None
        self._one_at_a_time = asyncio.Lock()
        self._probing = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncConnection]:
        """A transaction on a new connection, closed after; records what connecting found."""
        async with self._one_at_a_time:
            conn: AsyncConnection | None = None
            try:
                try:
                    # No deadline of our own: libpq's connect_timeout bounds an unreachable host, and
                    # a slow answer on a loaded machine is still an answer (health has its deadline).
                    conn = await self.engine.connect()
                    await conn.begin()
                    standby, db_now = (await conn.execute(text("SELECT pg_is_in_recovery(), now()"))).one()
                except Exception as exc:
                    closing = refuses_new_sessions(exc)
                    # The reason goes to anonymous health checks: no addresses, the kind only.
                    reason = "the database is shutting down" if closing else \
                        f"database unreachable ({type(getattr(exc, 'orig', None) or exc).__name__})"
                    self.last = Probe(False, reason, time.monotonic(), closing)
                    raise
                self.last = Probe(not standby, "the database is a read-only standby" if standby else "",
                                  time.monotonic(), db_now=db_now)
                yield conn
                await conn.commit()
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()

    def _recent(self) -> Probe | None:
        last = self.last
        return last if last is not None and time.monotonic() - last.at < PROBE_CACHE_S else None

    async def probe(self) -> Probe:
        """What a new connection finds, from a check at most PROBE_CACHE_S old."""
        if recent := self._recent():
            return recent
        async with self._probing:  # concurrent health checks share one new connection
            if recent := self._recent():
                return recent
            with contextlib.suppress(Exception):  # recorded in self.last
                async with self.session():
                    pass
        return self.last or Probe(False, "database unreachable", time.monotonic())

    async def dispose(self) -> None:
        await self.engine.dispose()
