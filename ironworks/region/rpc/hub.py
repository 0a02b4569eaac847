"""The racks whose channels this region process holds.

Records each registered connection in `rack_connection` (so the whole cluster sees which racks
are connected where), removes the row when the connection ends, and passes the change feed's
"wake" and "stop" notifications to the rack concerned.  A reconcile pass makes the rows match the
live connections again after anything went wrong (a failed write, the process row being reaped
and re-created, a stop notification lost while the feed was down)."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ironworks.common.logs import first_line, log_throttled
from ironworks.common.protocol import messages as m
from ironworks.db import tables as t
from ironworks.region.rpc.session import RackSession
from ironworks.region.services.controllers import rack_links

log = logging.getLogger("ironworks.rpc")

RECONCILE_S = 10.0
DELETED_MESSAGE = ("this rack controller was deleted from the region; it has forgotten its identity "
                   "and secret: run `maas-rack register` to register it again")


class RackHub:
    def __init__(self, engine: AsyncEngine, process_id: Callable[[], int | None]) -> None:
        self.engine = engine
        self.process_id = process_id
        self.sessions: set[RackSession] = set()

    def by_system_id(self, system_id: str) -> list[RackSession]:
        return [s for s in self.sessions if s.system_id == system_id and s.node_id is not None]

    async def attach(self, session: RackSession) -> None:
        """Record a registered rack's connection and update its `rackd` at once.  Held (for
        wakes and the reconcile) only once recorded: a failure here ends the connection."""
        process_id = self.process_id()
        async with self.engine.begin() as conn:
            if process_id is not None and session.node_id is not None:
                session.connection_id = await rack_links.record(conn, session.node_id, process_id, session.remote)
                await rack_links.update_rackd(conn, session.node_id)
        self.sessions.add(session)

    async def detach(self, session: RackSession) -> None:
        self.sessions.discard(session)
        if session.connection_id is None:
            return
        connection_id, session.connection_id = session.connection_id, None
        try:
            async with self.engine.begin() as conn:
                rack_id = await rack_links.forget(conn, connection_id)
                if rack_id is not None:
                    await rack_links.update_rackd(conn, rack_id)
        except Exception as exc:  # the reconcile pass removes the row later
            log.warning("could not record that %s disconnected (%s); retrying later", session.label,
                        first_line(exc))

    # -- the change feed ----------------------------------------------------------------------
    async def on_wake(self, payload: str) -> None:
        system_id, _, what = payload.partition(" ")
        for session in self.by_system_id(system_id):
            try:
                await session.send({"type": m.WAKE, "what": what})
            except Exception:
                pass  # its connection is closing; the rack polls on its timer anyway

    async def broadcast(self, what: str) -> None:
        """Wake every rack this process holds (e.g. "regions": the region list changed)."""
        for session in [s for s in self.sessions if s.node_id is not None and not s.closed]:
            try:
                await session.send({"type": m.WAKE, "what": what})
            except Exception:
                pass

    async def on_stop(self, system_id: str) -> None:
        for session in self.by_system_id(system_id):
            await self.stop(session)

    async def stop(self, session: RackSession) -> None:
        log.warning("rack %s was deleted: telling it to stop", session.label)
        session.connection_id = None  # its row went with the node
        try:
            await session.send({"type": m.STOP, "reason": m.REFUSED_DELETED, "message": DELETED_MESSAGE})
        except Exception:
            pass
        await session.close(m.CLOSE_STOP, "deleted")

    # -- reconcile ----------------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            await asyncio.sleep(RECONCILE_S)
            try:
                await self.reconcile()
            except Exception as exc:
                log_throttled(log, first_line(exc), "rack connection reconcile failed: %s", first_line(exc))

    async def reconcile(self) -> None:
        process_id = self.process_id()
        if process_id is None:
            return
        live = [s for s in self.sessions if s.node_id is not None and not s.closed]
        async with self.engine.begin() as conn:
            rows = dict((await conn.execute(select(t.rack_connection.c.id, t.rack_connection.c.node_id).where(
                t.rack_connection.c.process_id == process_id))).all())
            held = {s.connection_id for s in live}
            changed: set[int] = set()
            for row_id, rack_id in rows.items():
                if row_id not in held:  # a connection that ended without its row going
                    await rack_links.forget(conn, row_id)
                    changed.add(rack_id)
            existing = set(await conn.scalars(select(t.node.c.id).where(
                t.node.c.id.in_([s.node_id for s in live]))))
            for session in live:
                if session.node_id not in existing:
                    asyncio.get_running_loop().create_task(self.stop(session))  # deleted; stop lost
                elif session.connection_id not in rows:  # e.g. our process row was reaped and made anew
                    session.connection_id = await rack_links.record(conn, session.node_id, process_id, session.remote)
                    changed.add(session.node_id)
            for rack_id in changed:
                await rack_links.update_rackd(conn, rack_id)
