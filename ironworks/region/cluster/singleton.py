"""Cluster-wide singletons: `pg_try_advisory_lock` on a dedicated connection.

The singleton's work runs *on that same connection*, so it cannot run once the session (and
with it the lock) is gone: fail closed, never carry a lock across a reconnect.  After a loss
the process waits before competing again, which lets another region take over.

A holder that is alive to the kernel but not running (hung event loop, SIGSTOP, a paused VM) or
whose host vanished without closing its sockets would keep the session, and so the lock, for
as long as PostgreSQL keeps the connection (TCP keepalive: hours by default).  So the session
asks the server to end it once it is idle for `hang_timeout_s` (`idle_session_timeout`, and
`idle_in_transaction_session_timeout` for a hang mid-pass): a healthy holder uses it every
`interval`; a stuck one loses the lock after that long and another region takes over.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ironworks.common.logs import log_throttled

log = logging.getLogger("ironworks.singleton")

Work = Callable[[AsyncConnection], Awaitable[None]]


class Singleton:
    def __init__(self, name: str, key: int, interval: float, work: Work,
                 engine_factory: Callable[[], AsyncEngine], hang_timeout_s: float | None = None) -> None:
        self.name = name
        self.key = key
        self.interval = interval
        self.work = work
        self.engine_factory = engine_factory
        self.hang_timeout_s = hang_timeout_s if hang_timeout_s is not None else 4 * interval
        self.held = False

    async def run(self) -> None:
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the session is gone: so is the lock
                if self.held:
                    log.warning("singleton %s: lost its database session (%s); stopped", self.name,
                                str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                else:
                    log_throttled(log, type(exc).__name__, "singleton %s: no database session (%s)",
                                  self.name, type(exc).__name__, level=logging.INFO)
                was_held, self.held = self.held, False
                # Stand back for a while after losing the lock so another region takes over.
                await asyncio.sleep(self.interval * (3 if was_held else 1))

    async def _session(self) -> None:
        self.held = False  # a new session holds no lock, whatever the last one (if cancelled) did
        engine = self.engine_factory()
        try:
            async with engine.connect() as conn:
                await self._bound_idle_time(conn)
                while True:
                    if not self.held:
                        got = await conn.scalar(select(func.pg_try_advisory_lock(self.key)))
                        await conn.commit()
                        if got:
                            self.held = True
                            log.info("singleton %s: acquired", self.name)
                    if self.held:
                        async with conn.begin():
                            await self.work(conn)
                    await asyncio.sleep(self.interval)
        finally:
            await engine.dispose()

    async def _bound_idle_time(self, conn: AsyncConnection) -> None:
        value = f"{int(self.hang_timeout_s * 1000)}ms"
        for setting in ("idle_in_transaction_session_timeout", "idle_session_timeout"):
            try:
                await conn.execute(text("SELECT set_config(:name, :value, false)"),
                                   {"name": setting, "value": value})
                await conn.commit()
            except DBAPIError:  # idle_session_timeout is PostgreSQL 14+
                await conn.rollback()
                log.warning("singleton %s: the database server has no %s; a hung holder keeps "
                            "the lock until its connection dies", self.name, setting)
