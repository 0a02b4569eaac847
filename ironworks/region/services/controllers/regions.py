"""The region's own node: registered at start-up as a region controller."""

from __future__ import annotations

from sqlalchemy import and_, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks import __version__
from ironworks.common.ids import new_system_id
from ironworks.common.nodetypes import CONTROLLER_TYPES, NodeStatus, NodeType, as_region
from ironworks.db import tables as t
from ironworks.region.services.controllers.versions import refresh_version_warning

DEFAULT_DOMAIN_ID = 0
DEFAULT_ZONE_ID = 1


async def register_region(conn: AsyncConnection, hostname: str, system_id: str | None) -> str:
    """Find this host's node (by stored system id, else by controller hostname) or create it;
    make sure it is a region controller.  Returns its system id.

    A hostname match adopts only a controller with no live region process: a reinstalled host
    gets its node back, while a second region on the same host (tests, the demo) gets its own."""
    row = None
    if system_id:
        row = (await conn.execute(select(t.node).where(t.node.c.system_id == system_id))).first()
    if row is None:
        live = select(t.region_process.c.id).where(t.region_process.c.node_id == t.node.c.id).exists()
        row = (await conn.execute(select(t.node).where(
            and_(t.node.c.hostname == hostname, t.node.c.node_type.in_(CONTROLLER_TYPES), ~live)
        ))).first()
    if row is not None:
        await conn.execute(update(t.node).where(t.node.c.id == row.id).values(
            node_type=as_region(row.node_type), version=__version__))
        node_id, system_id = row.id, row.system_id
    else:
        system_id = system_id or new_system_id()
        taken = await conn.scalar(select(t.node.c.id).where(t.node.c.hostname == hostname))
        node_id = await conn.scalar(insert(t.node).values(
            system_id=system_id, hostname=f"{hostname}-{system_id}" if taken else hostname,
            node_type=NodeType.REGION_CONTROLLER, domain_id=DEFAULT_DOMAIN_ID, zone_id=DEFAULT_ZONE_ID,
            architecture="amd64/generic", status=NodeStatus.DEPLOYED, version=__version__,
        ).returning(t.node.c.id))
    # Not `running` yet: that is for its worker processes to say when they have registered
    # (processes.register_process).  A new region is shown dead until then; a known one keeps
    # its status (dead after a crash, off after a stop), so it goes to running exactly once.
    if row is None:
        await set_service(conn, node_id, "regiond", "dead", "No regiond processes are running.")
    await refresh_version_warning(conn)
    return system_id


async def set_service(conn: AsyncConnection, node_id: int, name: str, status: str, info: str) -> None:
    stmt = pg_insert(t.service).values(node_id=node_id, name=name, status=status, status_info=info)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=["node_id", "name"], set_={"status": status, "status_info": info}))


async def mark_stopped(conn: AsyncConnection, system_id: str) -> None:
    node_id = await conn.scalar(select(t.node.c.id).where(t.node.c.system_id == system_id))
    if node_id is not None:
        await set_service(conn, node_id, "regiond", "off", "Region stopped")
