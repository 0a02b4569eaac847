"""Which region process holds which rack's channel (`rack_connection` rows), and the `rackd`
status computed from them.

A row lives as long as the connection: the region process that accepted it deletes it when the
connection closes, and a region process that dies takes its rows with it when it is reaped
(cascade).  So the rows are the cluster's whole rack↔region connectivity, and `rackd` is
derived from them (liveness.rackd_status), never reported by the rack itself."""

from __future__ import annotations

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.nodetypes import RACK_TYPES, REGION_TYPES
from ironworks.db import tables as t
from ironworks.region.cluster.liveness import OFF, rackd_status
from ironworks.region.services.controllers.regions import set_service

WAKE_CHANNEL = "rack_wake"  # payload "<system_id> <what>"
STOP_CHANNEL = "rack_stop"  # payload "<system_id>": the rack was deleted


async def record(conn: AsyncConnection, rack_id: int, process_id: int, remote: str) -> int:
    return await conn.scalar(insert(t.rack_connection).values(
        node_id=rack_id, process_id=process_id, remote=remote[:255]).returning(t.rack_connection.c.id))


async def forget(conn: AsyncConnection, connection_id: int) -> int | None:
    """Delete one connection row; returns its rack's node id (None when it was already gone)."""
    return await conn.scalar(delete(t.rack_connection).where(t.rack_connection.c.id == connection_id)
                             .returning(t.rack_connection.c.node_id))


def _expected_regions():  # noqa: ANN202
    """Region controllers that are not stopped cleanly: a rack should be connected to each."""
    stopped = select(t.service.c.id).where(t.service.c.node_id == t.node.c.id, t.service.c.name == "regiond",
                                           t.service.c.status == OFF).exists()
    return select(t.node.c.id).where(t.node.c.node_type.in_(REGION_TYPES), ~stopped)


async def update_rackd(conn: AsyncConnection, rack_id: int | None = None) -> None:
    """Set `rackd` of one rack (or of every rack) from its live connections."""
    expected_ids = _expected_regions().subquery()
    expected = await conn.scalar(select(func.count()).select_from(expected_ids))
    connected = (
        select(t.rack_connection.c.node_id, func.count(func.distinct(t.region_process.c.node_id)).label("n"))
        .join(t.region_process, t.region_process.c.id == t.rack_connection.c.process_id)
        .where(t.region_process.c.node_id.in_(select(expected_ids.c.id)))
        .group_by(t.rack_connection.c.node_id)
    ).subquery()
    query = (
        select(t.node.c.id, func.coalesce(connected.c.n, 0).label("n"), t.service.c.status, t.service.c.status_info)
        .select_from(t.node)
        .outerjoin(connected, connected.c.node_id == t.node.c.id)
        .outerjoin(t.service, and_(t.service.c.node_id == t.node.c.id, t.service.c.name == "rackd"))
        .where(t.node.c.node_type.in_(RACK_TYPES))
    )
    if rack_id is not None:
        query = query.where(t.node.c.id == rack_id)
    for row in await conn.execute(query):
        status = rackd_status(row.n, max(expected or 0, 1))
        if status != (row.status, row.status_info):
            await set_service(conn, row.id, "rackd", *status)


async def connected_racks(conn: AsyncConnection, among: list[int] | None = None) -> set[int]:
    """Racks with at least one live channel."""
    query = select(t.rack_connection.c.node_id).distinct()
    if among is not None:
        query = query.where(t.rack_connection.c.node_id.in_(among))
    return set(await conn.scalars(query))


async def is_up(conn: AsyncConnection, rack_id: int) -> bool:
    """The rack is up and running: its `rackd` is running or degraded (connected somewhere)."""
    status = await conn.scalar(select(t.service.c.status).where(
        t.service.c.node_id == rack_id, t.service.c.name == "rackd"))
    return status in ("running", "degraded") or bool(await connected_racks(conn, [rack_id]))


async def wake(conn: AsyncConnection, system_id: str, what: str) -> None:
    """Ask the rack to act now (sent on commit, by whichever region process holds its channel)."""
    await conn.execute(select(func.pg_notify(WAKE_CHANNEL, f"{system_id} {what}")))


async def tell_to_stop(conn: AsyncConnection, system_id: str) -> None:
    await conn.execute(select(func.pg_notify(STOP_CHANNEL, system_id)))


