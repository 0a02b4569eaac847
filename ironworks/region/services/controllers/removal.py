"""Deleting rack and region controllers.

A rack's DHCP roles move to other racks first (`rack_removal`), or the delete is refused unless
forced.  A region whose `regiond` is running cannot be deleted.  A region+rack node loses only
the role being deleted.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import Refused
from ironworks.common.nodetypes import RACK_TYPES, REGION_TYPES, NodeType
from ironworks.common.protocol.services import RACK_SERVICES as REPORTED_RACK_SERVICES
from ironworks.common.protocol.services import RACKD
from ironworks.db import tables as t
from ironworks.region.services.controllers import rack_links
from ironworks.region.services.controllers.rack_removal import (
    VlanRoles,
    plan_rack_removal,
    refusal_message,
)
from ironworks.region.services.controllers.versions import refresh_version_warning
from ironworks.region.services.nodes import query as nodes

RACK_SERVICES = (RACKD, *REPORTED_RACK_SERVICES)
REGION_SERVICES = ("regiond", "bind9", "ntp_region", "proxy", "reverse_proxy", "syslog_region",
                   "temporal", "temporal-worker")


async def _vlan_roles(conn: AsyncConnection, rack_id: int) -> list[VlanRoles]:
    v = t.vlan.c
    rows = list(await conn.execute(
        select(v.id, v.vid, v.dhcp_on, v.primary_rack_id, v.secondary_rack_id, t.fabric.c.name.label("fabric"))
        .select_from(t.vlan.join(t.fabric, t.fabric.c.id == v.fabric_id))
        .where((v.primary_rack_id == rack_id) | (v.secondary_rack_id == rack_id))
        .order_by(t.fabric.c.name, v.vid)))
    # Other racks that could take over: on the VLAN and connected to a region now (MAAS too
    # counts only connected racks).
    candidates: dict[int, list[int]] = {}
    if rows:
        for vlan_id, node_id in await conn.execute(
            select(t.interface.c.vlan_id, t.node.c.id).distinct()
            .select_from(t.interface.join(t.node, t.node.c.id == t.interface.c.node_id))
            .where(t.node.c.node_type.in_(RACK_TYPES), t.node.c.id != rack_id,
                   t.interface.c.vlan_id.in_([r.id for r in rows]),
                   exists().where(t.rack_connection.c.node_id == t.node.c.id))
            .order_by(t.interface.c.vlan_id, t.node.c.id)
        ):
            candidates.setdefault(vlan_id, []).append(node_id)
    return [VlanRoles(r.id, f"{r.fabric}.{r.vid}", r.dhcp_on, r.primary_rack_id, r.secondary_rack_id,
                      tuple(candidates.get(r.id, ()))) for r in rows]


async def delete_rack(conn: AsyncConnection, system_id: str, force: bool) -> None:
    rack = await nodes.get_node(conn, system_id, RACK_TYPES, "RackController")
    plan = plan_rack_removal(rack.id, await _vlan_roles(conn, rack.id))
    if plan.blocked and not force:
        raise Refused(refusal_message(rack.hostname, plan))
    for change in plan.changes:
        await conn.execute(update(t.vlan).where(t.vlan.c.id == change.vlan_id).values(
            primary_rack_id=change.primary, secondary_rack_id=change.secondary, dhcp_on=change.dhcp_on))
    await _drop_role(conn, rack, NodeType.REGION_CONTROLLER, RACK_SERVICES)
    # Whichever region holds its channel tells it to stop and forget its identity (on commit);
    # if it is offline, it is refused when it comes back (its system id is gone).
    await conn.execute(delete(t.rack_connection).where(t.rack_connection.c.node_id == rack.id))
    await rack_links.tell_to_stop(conn, rack.system_id)


async def delete_region(conn: AsyncConnection, system_id: str) -> None:
    region = await nodes.get_node(conn, system_id, REGION_TYPES, "RegionController")
    status = await conn.scalar(select(t.service.c.status).where(
        t.service.c.node_id == region.id, t.service.c.name == "regiond"))
    if status in ("running", "degraded"):  # degraded: some of its processes still run
        raise Refused(f"Unable to delete '{region.hostname}'; it is running: stop its maas-regiond first.")
    await _drop_role(conn, region, NodeType.RACK_CONTROLLER, REGION_SERVICES)


async def _drop_role(conn: AsyncConnection, node, remaining: NodeType, role_services) -> None:  # noqa: ANN001
    """A region+rack node keeps its other role (and loses this role's services); any other
    controller is deleted."""
    if node.node_type == NodeType.REGION_AND_RACK_CONTROLLER:
        await conn.execute(update(t.node).where(t.node.c.id == node.id).values(node_type=remaining))
        await conn.execute(delete(t.service).where(t.service.c.node_id == node.id,
                                                   t.service.c.name.in_(role_services)))
    else:
        await conn.execute(delete(t.node).where(t.node.c.id == node.id))
    await refresh_version_warning(conn)  # the controller that differed may be the one gone
