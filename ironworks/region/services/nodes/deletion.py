"""Deleting any node through `nodes/{system_id}/`: each type by its own rules.

A machine or device is simply deleted (its child devices go with it); a rack controller hands
its DHCP roles over or is refused (no `force` here, as in MAAS); a region controller whose
maas-regiond runs is refused.  A region+rack controller must pass both rules: everything
happens in the request's one transaction, so a refusal by the second leaves the first undone.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.nodetypes import NodeType
from ironworks.db import tables as t
from ironworks.region.services.controllers import removal
from ironworks.region.services.nodes import query as nodes

ALL_TYPES = tuple(NodeType)


async def delete_node(conn: AsyncConnection, system_id: str) -> None:
    node = await nodes.get_node(conn, system_id, ALL_TYPES, "Node")
    if node.node_type in (NodeType.MACHINE, NodeType.DEVICE):
        await conn.execute(delete(t.node).where(t.node.c.id == node.id))
        return
    if node.node_type in (NodeType.RACK_CONTROLLER, NodeType.REGION_AND_RACK_CONTROLLER):
        await removal.delete_rack(conn, system_id, force=False)  # a region+rack is left a region
    if node.node_type in (NodeType.REGION_CONTROLLER, NodeType.REGION_AND_RACK_CONTROLLER):
        await removal.delete_region(conn, system_id)
