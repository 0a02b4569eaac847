"""A node's interfaces: physical, VLAN, bond and bridge, their parents, and their links to
subnets (the static addresses DHCP will reserve and DNS publish).  Rules: interface_rules."""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Text, cast, delete, insert, select, update
from sqlalchemy.dialects.postgresql import MACADDR
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, NotFound
from ironworks.db import tables as t
from ironworks.region.services.names import as_int
from ironworks.region.services.networking import addresses
from ironworks.region.services.networking.lookups import subnet_for_reference
from ironworks.region.services.nodes import interface_rules as rules

ALL_NODE_TYPES = (0, 2, 3, 4)  # machines and controllers; devices come with devices/
_IFACE = (t.interface.c.id, t.interface.c.node_id, t.interface.c.name, t.interface.c.type,
          cast(t.interface.c.mac_address, Text).label("mac_address"), t.interface.c.vlan_id,
          t.interface.c.enabled, t.interface.c.params)


async def get_node(conn: AsyncConnection, system_id: str) -> dict:
    row = (await conn.execute(select(t.node.c.id, t.node.c.system_id, t.node.c.hostname, t.node.c.node_type,
                                     t.node.c.status).where(t.node.c.system_id == system_id,
                                                            t.node.c.node_type.in_(ALL_NODE_TYPES)))).first()
    if row is None:
        raise NotFound.model("Node")
    return dict(row._mapping)


async def _interfaces(conn: AsyncConnection, node_id: int) -> list[dict]:
    return [dict(r._mapping) for r in await conn.execute(
        select(*_IFACE).where(t.interface.c.node_id == node_id).order_by(t.interface.c.id))]


async def get_interface(conn: AsyncConnection, node: dict, ref: str, key: str | None = None) -> dict:
    """An interface of `node` by id (or name); 404, or a 400 naming `key` for a form's reference."""
    iface_id = as_int(ref)
    for row in await _interfaces(conn, node["id"]):
        if row["id"] == iface_id or (key is not None and row["name"] == ref):
            return row
    if key is not None:
        raise InvalidInput.field(key, f"Node {node['hostname']} has no interface '{ref}'.")
    raise NotFound.model("Interface")


async def _vlan(conn: AsyncConnection, vlan_id: Any, key: str = "vlan") -> dict:
    found = as_int(vlan_id) if vlan_id is not None else None
    row = None if found is None else (await conn.execute(
        select(t.vlan, t.fabric.c.name.label("fabric_name")).join(t.fabric, t.fabric.c.id == t.vlan.c.fabric_id)
        .where(t.vlan.c.id == found))).first()
    if row is None:
        raise InvalidInput.field(key, f"No VLAN with id '{vlan_id}'.")
    return dict(row._mapping)


async def _mac_holder(conn: AsyncConnection, mac: str, without: int | None = None) -> str | None:
    row = (await conn.execute(
        select(t.node.c.hostname, t.interface.c.name).join(t.node, t.node.c.id == t.interface.c.node_id)
        .where(t.interface.c.type == "physical", t.interface.c.mac_address == cast(mac, MACADDR),
               t.interface.c.id != (without or -1)).limit(1))).first()
    return f"{row.hostname}:{row.name}" if row else None


async def _enslaved(conn: AsyncConnection, node_id: int) -> dict[int, str]:
    """Interfaces already in a bond or bridge -> that bond's or bridge's name."""
    child = t.interface.alias("child")
    rows = await conn.execute(
        select(t.interface_relationship.c.parent_id, child.c.name)
        .join(child, child.c.id == t.interface_relationship.c.child_id)
        .where(child.c.node_id == node_id, child.c.type.in_(("bond", "bridge"))))
    return {r.parent_id: r.name for r in rows}


def _params(fields: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: fields[k] for k in keys if fields.get(k) is not None}


async def create(conn: AsyncConnection, node: dict, kind: str, fields: dict[str, Any]) -> int:
    rules.check_editable(node["node_type"], node["status"], "create")
    existing = await _interfaces(conn, node["id"])
    parents: list[dict] = []
    vlan_id = as_int(fields["vlan"]) if fields.get("vlan") is not None else None
    mac = fields.get("mac_address")
    name = fields.get("name")
    params = _params(fields, ("mtu", "bond_mode", "bond_miimon", "bond_downdelay", "bond_updelay",
                              "bond_lacp_rate", "bond_xmit_hash_policy", "bridge_type", "bridge_stp", "bridge_fd"))
    if vlan_id is not None or kind == "vlan":
        vlan = await _vlan(conn, fields.get("vlan"))
        vlan_id = vlan["id"]
    if kind == "physical":
        rules.check_mac_free(mac, await _mac_holder(conn, mac))
        name = name or _next_free("eth", existing)
    elif kind == "vlan":
        parent = await get_interface(conn, node, fields["parent"], "parent")
        parent_vlan = await _vlan(conn, parent["vlan_id"], "parent") if parent["vlan_id"] is not None else None
        children = await _children(conn, parent["id"])
        rules.check_vlan_parent(parent, parent_vlan, vlan, children)
        parents, mac, name = [parent], parent["mac_address"], f"{parent['name']}.{vlan['vid']}"
    else:
        refs = fields["parents"] if kind == "bond" else [fields["parent"]]
        parents = [await get_interface(conn, node, ref, "parents" if kind == "bond" else "parent") for ref in refs]
        rules.check_members(kind, parents, await _enslaved(conn, node["id"]))
        mac = mac or parents[0]["mac_address"]
        vlan_id = vlan_id if vlan_id is not None else parents[0]["vlan_id"]
    rules.check_name_free(name, node["hostname"], [i["name"] for i in existing])
    new_id = await conn.scalar(insert(t.interface).values(
        node_id=node["id"], name=name, type=kind, mac_address=mac, vlan_id=vlan_id, params=params)
        .returning(t.interface.c.id))
    if parents:
        await conn.execute(insert(t.interface_relationship),
                           [{"parent_id": p["id"], "child_id": new_id} for p in parents])
    return new_id


def _next_free(prefix: str, existing: Sequence[dict]) -> str:
    names = {i["name"] for i in existing}
    return next(f"{prefix}{n}" for n in range(len(names) + 1) if f"{prefix}{n}" not in names)


async def _children(conn: AsyncConnection, iface_id: int) -> list[dict]:
    return [dict(r._mapping) for r in await conn.execute(
        select(*_IFACE).join(t.interface_relationship, t.interface_relationship.c.child_id == t.interface.c.id)
        .where(t.interface_relationship.c.parent_id == iface_id).order_by(t.interface.c.id))]


async def update_interface(conn: AsyncConnection, node: dict, iface: dict, fields: dict[str, Any]) -> None:
    rules.check_editable(node["node_type"], node["status"], "update")
    values: dict[str, Any] = {}
    if fields.get("name") is not None and fields["name"] != iface["name"]:
        rules.check_name_free(fields["name"], node["hostname"], [i["name"] for i in await _interfaces(conn, node["id"])])
        values["name"] = fields["name"]
    if fields.get("mac_address") is not None and fields["mac_address"] != iface["mac_address"]:
        if iface["type"] == "physical":
            rules.check_mac_free(fields["mac_address"], await _mac_holder(conn, fields["mac_address"], iface["id"]))
        values["mac_address"] = fields["mac_address"]
    if "vlan" in fields:
        values["vlan_id"] = None if fields["vlan"] is None else (await _vlan(conn, fields["vlan"]))["id"]
        if values["vlan_id"] != iface["vlan_id"]:  # links belong to the old VLAN's subnets
            await conn.execute(delete(t.ip_address).where(t.ip_address.c.interface_id == iface["id"]))
    if fields.get("enabled") is not None:
        values["enabled"] = fields["enabled"]
    changed = _params(fields, ("mtu",))
    if changed:
        values["params"] = {**(iface["params"] or {}), **changed}
    if values:
        await conn.execute(update(t.interface).where(t.interface.c.id == iface["id"]).values(**values))


async def delete_interface(conn: AsyncConnection, node: dict, iface: dict) -> None:
    rules.check_editable(node["node_type"], node["status"], "delete")
    children = await _children(conn, iface["id"])
    if children:
        raise InvalidInput.whole(f"Interface {iface['name']} has children ({', '.join(c['name'] for c in children)}); "
                                 "delete them first.")
    await conn.execute(delete(t.interface).where(t.interface.c.id == iface["id"]))


async def _links(conn: AsyncConnection, iface_id: int) -> list[dict]:
    return [dict(r._mapping) for r in await conn.execute(
        select(t.ip_address).where(t.ip_address.c.interface_id == iface_id,
                                   t.ip_address.c.alloc_type != "discovered"))]


async def link_subnet(conn: AsyncConnection, node: dict, iface: dict, fields: dict[str, Any]) -> None:
    rules.check_editable(node["node_type"], node["status"], "link")
    mode = fields["mode"]
    subnet = await subnet_for_reference(conn, fields["subnet"]) if fields.get("subnet") is not None else None
    links = await _links(conn, iface["id"])
    rules.check_link(mode, subnet, fields.get("ip_address"), iface, links)
    if fields.get("default_gateway"):
        rules.check_gateway_link(mode, subnet)
    ip = await addresses.hold_address(conn, subnet, fields.get("ip_address")) if mode == "STATIC" else None
    # A LINK_UP placeholder gives way to a real link.
    await conn.execute(delete(t.ip_address).where(t.ip_address.c.interface_id == iface["id"],
                                                  t.ip_address.c.alloc_type == "link_up"))
    alloc_type = {"AUTO": "auto", "DHCP": "dhcp", "STATIC": "sticky", "LINK_UP": "link_up"}[mode]
    link_id = await conn.scalar(insert(t.ip_address).values(
        ip=ip, alloc_type=alloc_type, interface_id=iface["id"], subnet_id=subnet["id"] if subnet else None)
        .returning(t.ip_address.c.id))
    if fields.get("default_gateway"):
        await set_default_gateway(conn, node, iface, link_id)


async def unlink_subnet(conn: AsyncConnection, node: dict, iface: dict, link_id: int) -> None:
    rules.check_editable(node["node_type"], node["status"], "unlink")
    if not any(link["id"] == link_id for link in await _links(conn, iface["id"])):
        raise InvalidInput.field("id", f"Interface {iface['name']} has no link with id {link_id}.")
    await conn.execute(delete(t.ip_address).where(t.ip_address.c.id == link_id))


async def disconnect(conn: AsyncConnection, node: dict, iface: dict) -> None:
    """Drops every link and address of the interface and takes it off its VLAN."""
    rules.check_editable(node["node_type"], node["status"], "disconnect")
    await conn.execute(delete(t.ip_address).where(t.ip_address.c.interface_id == iface["id"]))
    await conn.execute(update(t.interface).where(t.interface.c.id == iface["id"]).values(vlan_id=None))


async def set_default_gateway(conn: AsyncConnection, node: dict, iface: dict, link_id: int | None) -> None:
    """Routes the node's IPv4 and/or IPv6 default traffic through the gateway of a link's subnet
    (each family kept separately on the node)."""
    rules.check_editable(node["node_type"], node["status"], "set default gateway")
    links = [dict(r._mapping) for r in await conn.execute(
        select(t.ip_address.c.id, t.subnet.c.gateway_ip).join(t.subnet, t.subnet.c.id == t.ip_address.c.subnet_id)
        .where(t.ip_address.c.interface_id == iface["id"], t.ip_address.c.alloc_type != "discovered",
               t.subnet.c.gateway_ip.is_not(None)).order_by(t.ip_address.c.id))]
    chosen = rules.choose_default_gateways(iface["name"], links, link_id)
    columns = {4: "gateway_link_ipv4_id", 6: "gateway_link_ipv6_id"}
    await conn.execute(update(t.node).where(t.node.c.id == node["id"])
                       .values({columns[family]: link for family, link in chosen.items()}))
