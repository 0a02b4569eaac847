"""PLACEHOLDER until the registration/network-model branch lands (minimal matching only)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.ids import new_system_id
from ironworks.common.nodetypes import NodeStatus, NodeType
from ironworks.db import tables as t
from ironworks.region.services.controllers.regions import DEFAULT_DOMAIN_ID, DEFAULT_ZONE_ID, set_service


@dataclass
class RegisteredRack:
    node_id: int
    system_id: str
    created: bool


async def register_rack(conn: AsyncConnection, *, system_id, hostname, interfaces, version) -> RegisteredRack:  # noqa: ANN001
    row = None
    if system_id:
        row = (await conn.execute(select(t.node).where(t.node.c.system_id == system_id))).first()
    if row is None:
        row = (await conn.execute(select(t.node).where(func.lower(t.node.c.hostname) == hostname.lower()))).first()
    if row is not None:
        await conn.execute(update(t.node).where(t.node.c.id == row.id).values(version=version))
        return RegisteredRack(row.id, row.system_id, False)
    sid = new_system_id()
    node_id = await conn.scalar(insert(t.node).values(
        system_id=sid, hostname=hostname, node_type=NodeType.RACK_CONTROLLER, domain_id=DEFAULT_DOMAIN_ID,
        zone_id=DEFAULT_ZONE_ID, architecture="amd64/generic", status=NodeStatus.DEPLOYED, version=version,
    ).returning(t.node.c.id))
    await set_service(conn, node_id, "rackd", "dead", "Not connected to any region controllers.")
    return RegisteredRack(node_id, sid, True)


async def update_rack_interfaces(conn, node_id, interfaces) -> None:  # noqa: ANN001
    pass


async def report_services(conn, node_id, services) -> None:  # noqa: ANN001
    for name, (status, info) in services.items():
        await set_service(conn, node_id, name, status, info)
