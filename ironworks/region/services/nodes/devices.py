"""Devices: nodes MAAS does not manage (a phone, a switch, a container), owned by the user who
made them, optionally hanging off a parent node.

Hostname, domain and MAC rules are the machines' (`edit.py`); a device adds its parent and the
owner's key/value data.  Every rule is checked before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput
from ironworks.common.nodetypes import NodeStatus, NodeType
from ironworks.db import tables as t
from ironworks.region.services.dns import domains
from ironworks.region.services.nodes import hostnames, zones
from ironworks.region.services.nodes import query as nodes
from ironworks.region.services.nodes.edit import (
    NodeEdit,
    check_macs,
    edit_values,
    hostname_taken,
    new_free_system_id,
)
from ironworks.region.services.unique import duplicate_means

DEVICE_TYPES = (NodeType.DEVICE,)
MODEL = "Device"
MAX_OWNER_DATA_KEY = 255
MAX_OWNER_DATA_VALUE = 8192  # as other stored text: every listing returns it


@dataclass
class DeviceEdit:
    hostname: str | None = None
    domain: str | None = None
    zone: str | None = None
    description: str | None = None
    parent: str | None = None  # a node's system_id; "" clears it (update)

    def node_edit(self) -> NodeEdit:
        return NodeEdit(hostname=self.hostname, domain=self.domain, zone=self.zone,
                        description=self.description)


async def get_device(conn: AsyncConnection, system_id: str) -> Row:
    return await nodes.get_node(conn, system_id, DEVICE_TYPES, MODEL)


async def _parent_id(conn: AsyncConnection, system_id: str, device_id: int | None) -> int | None:
    ref = system_id.strip()
    if not ref:
        return None
    found = await conn.scalar(select(t.node.c.id).where(t.node.c.system_id == ref))
    if found is None:
        raise InvalidInput.field("parent", f"Select a valid choice: no node has system_id '{ref}'.")
    if found == device_id:
        raise InvalidInput.field("parent", "A device cannot be its own parent.")
    return found


async def create_device(conn: AsyncConnection, owner_id: int, edit: DeviceEdit, macs: Sequence[str]) -> str:
    """A new device owned by `owner_id`, with one physical interface per MAC (eth0, eth1, ...)."""
    await check_macs(conn, macs)
    parent_id = await _parent_id(conn, edit.parent, None) if edit.parent is not None else None
    node_edit = edit.node_edit()
    if node_edit.hostname is None:
        node_edit.hostname = await hostnames.generate_hostname(conn)
    values = await edit_values(conn, node_edit, None)
    values.setdefault("domain_id", await domains.default_domain_id(conn))
    values.setdefault("zone_id", zones.DEFAULT_ZONE_ID)
    system_id = await new_free_system_id(conn)
    with duplicate_means(hostname_taken(values["hostname"]), "uq_node_hostname"):
        node_id = await conn.scalar(insert(t.node).values(
            system_id=system_id, node_type=NodeType.DEVICE, status=NodeStatus.NEW, owner_id=owner_id,
            parent_id=parent_id, **values).returning(t.node.c.id))
    await conn.execute(insert(t.interface), [
        {"node_id": node_id, "name": f"eth{i}", "type": "physical", "mac_address": mac, "vlan_id": None}
        for i, mac in enumerate(macs)])
    return system_id


async def update_device(conn: AsyncConnection, system_id: str, edit: DeviceEdit) -> None:
    current = await get_device(conn, system_id)
    values = await edit_values(conn, edit.node_edit(), current)
    if edit.parent is not None:
        values["parent_id"] = await _parent_id(conn, edit.parent, current.id)
    if values:
        with duplicate_means(hostname_taken(values.get("hostname", "")), "uq_node_hostname"):
            await conn.execute(update(t.node).where(t.node.c.id == current.id)
                               .values(**values, updated=func.now()))


async def delete_device(conn: AsyncConnection, system_id: str) -> None:
    current = await get_device(conn, system_id)
    await conn.execute(delete(t.node).where(t.node.c.id == current.id))


def merge_owner_data(current: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """MAAS's `set_owner_data`: each key is set to its value; an empty value removes the key."""
    for key in changes:
        if not key.strip() or len(key) > MAX_OWNER_DATA_KEY:
            raise InvalidInput.field(
                "owner_data", f"'{key[:40]}' is not a valid key: use 1 to {MAX_OWNER_DATA_KEY} characters.")
        if len(changes[key]) > MAX_OWNER_DATA_VALUE:
            raise InvalidInput.field(
                key, f"Ensure this value has at most {MAX_OWNER_DATA_VALUE} characters.")
    merged = dict(current)
    for key, value in changes.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


async def set_owner_data(conn: AsyncConnection, system_id: str, changes: Mapping[str, str]) -> None:
    current = await get_device(conn, system_id)
    stored = await conn.scalar(select(t.node.c.owner_data).where(t.node.c.id == current.id))
    await conn.execute(update(t.node).where(t.node.c.id == current.id).values(
        owner_data=merge_owner_data(stored or {}, changes), updated=func.now()))
