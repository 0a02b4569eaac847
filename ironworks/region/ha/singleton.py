"""Cluster-wide singletons: `pg_try_advisory_lock` on a dedicated connection.

The singleton's work runs *on that same connection*, so it cannot run once the session (and
with it the lock) is gone: fail closed, never carry a lock across a reconnect.  After a loss
the process waits before competing again, which lets another region take over.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("ironworks.singleton")

Work = Callable[[AsyncConnection], Awaitable[None]]


class Singleton:
    def __init__(self, name: str, key: int, interval: float, work: Work,
                 engine_factory: Callable[[], AsyncEngine]) -> None:
        self.name = name
        self.key = key
        self.interval = interval
        self.work = work
        self.engine_factory = engine_factory
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
                    log.info("singleton %s: no database session (%s)", self.name, type(exc).__name__)
                was_held, self.held = self.held, False
                # Stand back for a while after losing the lock so another region takes over.
                await asyncio.sleep(self.interval * (3 if was_held else 1))

    async def _session(self) -> None:
        engine = self.engine_factory()
        try:
            async with engine.connect() as conn:
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
