"""Region processes: registration, heartbeats, reaping and the `regiond` service status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    and_,
    bindparam,
    delete,
    func,
    insert,
    not_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.nodetypes import REGION_TYPES
from ironworks.db import tables as t
from ironworks.region.cluster.liveness import DEAD_AFTER_S, next_regiond_status
from ironworks.region.services.controllers.regions import set_service

CHANNEL = "regions"
_stale = text(f"now() - interval '{DEAD_AFTER_S} seconds'")


async def node_id_of(conn: AsyncConnection, system_id: str) -> int | None:
    return await conn.scalar(select(t.node.c.id).where(t.node.c.system_id == system_id))


async def pids_of(conn: AsyncConnection, node_id: int) -> list[int]:
    """The PIDs recorded for a region's processes (live or not yet reaped)."""
    return list(await conn.scalars(select(t.region_process.c.pid).where(t.region_process.c.node_id == node_id)))


async def register_process(conn: AsyncConnection, node_id: int, pid: int, expected: int,
                           connections: int, endpoints: list[tuple[str, int]]) -> int:
    """(Re-)register a worker process with its endpoints; returns its row id."""
    await conn.execute(delete(t.region_process).where(
        t.region_process.c.node_id == node_id, t.region_process.c.pid == pid))
    process_id = await conn.scalar(insert(t.region_process).values(
        node_id=node_id, pid=pid, expected=expected, connections=connections,
    ).returning(t.region_process.c.id))
    if endpoints:
        await conn.execute(insert(t.region_process_endpoint), [
            {"process_id": process_id, "address": a, "port": p} for a, p in endpoints])
    # `running` the moment the last of the region's processes registers, not at the next pass.
    await update_statuses(conn, node_id)
    await notify(conn)
    return process_id


async def heartbeat(conn: AsyncConnection, process_id: int) -> bool:
    """Refresh the heartbeat; False when the row was reaped (the caller re-registers)."""
    result = await conn.execute(update(t.region_process).where(t.region_process.c.id == process_id)
                                .values(updated=func.now()))
    return result.rowcount == 1


async def unregister_process(conn: AsyncConnection, process_id: int) -> None:
    await conn.execute(delete(t.region_process).where(t.region_process.c.id == process_id))
    await notify(conn)


async def notify(conn: AsyncConnection) -> None:
    await conn.execute(select(func.pg_notify(CHANNEL, "")))


async def reap_and_update(conn: AsyncConnection, own_node_id: int, own_pid: int,
                          seen_since: datetime) -> list[str]:
    """Reap processes silent for more than DEAD_AFTER_S, then set every region's `regiond`
    status from the processes left (all of them fresh).  Returns reaped descriptions.

    Silence counts only from `seen_since`, when the caller's unbroken contact with the database
    began (liveness.Contact): heartbeats that could not be written while the database was
    unreachable are no evidence against a region.

    The caller (the liveness singleton's process: `own_node_id`, `own_pid`) is alive by
    definition, so it never reaps its own row and never marks its own region dead, however late
    its own heartbeat is (a region must not fence itself on its own late heartbeat).  Its
    region's *other* processes are reaped like anyone's: a worker killed while its region holds
    the singleton must not count as running forever.  A sibling that was only stalled finds its
    row gone at its next heartbeat and registers again."""
    spared = and_(t.region_process.c.node_id == own_node_id, t.region_process.c.pid == own_pid)
    last_seen = func.greatest(t.region_process.c.updated, bindparam("since", seen_since, DateTime(timezone=True)))
    reaped = (await conn.execute(
        delete(t.region_process)
        .where(last_seen < _stale, not_(spared))
        .returning(t.region_process.c.node_id, t.region_process.c.pid)
    )).all()
    await update_statuses(conn, None, own_node_id)
    if reaped:
        await notify(conn)
    return [f"node {r.node_id} pid {r.pid}" for r in reaped]


async def update_statuses(conn: AsyncConnection, node_id: int | None, own_node_id: int | None = None) -> None:
    """Set the `regiond` status of one region (`node_id`) or of all, from their live processes
    (liveness.next_regiond_status).  `own_node_id`: the caller's region, running by definition."""
    query = (
        select(t.node.c.id, func.count(t.region_process.c.id).label("live"),
               func.coalesce(func.max(t.region_process.c.expected), 1).label("expected"),
               func.coalesce(func.bool_or(t.region_process.c.created < _stale), False).label("settled"),
               t.service.c.status, t.service.c.status_info)
        .select_from(t.node)
        .outerjoin(t.region_process, t.region_process.c.node_id == t.node.c.id)
        .outerjoin(t.service, and_(t.service.c.node_id == t.node.c.id, t.service.c.name == "regiond"))
        .where(t.node.c.node_type.in_(REGION_TYPES))
        .group_by(t.node.c.id, t.service.c.status, t.service.c.status_info)
    )
    if node_id is not None:
        query = query.where(t.node.c.id == node_id)
    for row in (await conn.execute(query)).all():
        live = row.live
        if row.id == own_node_id:
            live = max(live, 1)  # this very process is running (even if its row was reaped)
        decided = next_regiond_status(row.status, live, row.expected, row.settled)
        if decided is not None and decided != (row.status, row.status_info):
            await set_service(conn, row.id, "regiond", *decided)


async def live_endpoints(conn: AsyncConnection) -> list[dict]:
    """Every process the cluster has not reaped.  Not filtered by heartbeat age: after a database
    outage every row is old until the next beats, and the reaper (which notifies) is the judge."""
    rows = await conn.execute(
        select(t.node.c.hostname, t.region_process.c.pid, t.region_process_endpoint.c.address,
               t.region_process_endpoint.c.port)
        .select_from(t.region_process)
        .join(t.node, t.node.c.id == t.region_process.c.node_id)
        .join(t.region_process_endpoint, t.region_process_endpoint.c.process_id == t.region_process.c.id)
        .order_by(t.node.c.hostname, t.region_process.c.pid, t.region_process_endpoint.c.address)
    )
    return [dict(r._mapping) for r in rows]
