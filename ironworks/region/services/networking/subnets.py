"""Subnets: CIDRs on VLANs that never overlap, with their gateway and DNS settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, NotFound, Refused
from ironworks.db import tables as t
from ironworks.region.services.names import as_int, ensure_name_free
from ironworks.region.services.networking import ipam
from ironworks.region.services.networking.address_plan import guard_dhcp_pool, lock_ipam
from ironworks.region.services.networking.lookups import DEFAULT_FABRIC_ID, get_fabric

STATIC_TYPES = ("auto", "sticky", "user_reserved")  # addresses a node or user holds on purpose


async def resolve_vlan(conn: AsyncConnection, fields: dict[str, Any], fabric_id: int = DEFAULT_FABRIC_ID) -> int:
    """The VLAN of `vlan=<id>`, else `fabric=` (id or name; default `fabric_id`) with `vid=`
    (default 0): with neither, the default fabric's untagged VLAN."""
    if fields.get("vlan") is not None:
        vlan_id = as_int(fields["vlan"])
        found = vlan_id is not None and await conn.scalar(select(func.count()).where(t.vlan.c.id == vlan_id))
        if not found:
            raise InvalidInput.field("vlan", f"No VLAN with id '{fields['vlan']}'.")
        return vlan_id  # type: ignore[return-value]
    if fields.get("fabric") is not None:
        try:
            fabric_id = (await get_fabric(conn, fields["fabric"]))["id"]
        except NotFound:
            raise InvalidInput.field("fabric", f"No fabric '{fields['fabric']}'.") from None
    vid = fields.get("vid") or 0
    vlan_id = await conn.scalar(select(t.vlan.c.id).where(t.vlan.c.fabric_id == fabric_id, t.vlan.c.vid == vid))
    if vlan_id is None:
        raise InvalidInput.field("vid", f"Fabric {fabric_id} has no VLAN {vid}.")
    return vlan_id


async def _check_name(conn: AsyncConnection, name: str, subnet_id: int | None) -> str:
    name = name.strip()
    if not name or name.isdigit():
        raise InvalidInput.field("name", f"'{name}' is not a valid subnet name: it must not be blank "
                                             "or just a number (numbers are ids).")
    await ensure_name_free(conn, t.subnet, name, "subnet", subnet_id)
    return name


async def _check_overlap(conn: AsyncConnection, cidr: ipam.Network, subnet_id: int | None) -> None:
    query = select(t.subnet.c.id, t.subnet.c.cidr, t.subnet.c.name).where(t.subnet.c.cidr.op("&&")(str(cidr)))
    if subnet_id is not None:
        query = query.where(t.subnet.c.id != subnet_id)
    clash = (await conn.execute(query.limit(1))).first()
    if clash:
        raise InvalidInput.field("cidr", f"{cidr} overlaps with the existing subnet {clash.cidr} "
                                             f"(id {clash.id}, name '{clash.name}').")


def _settings(fields: dict[str, Any]) -> dict[str, Any]:
    keys = ("description", "dns_servers", "rdns_mode", "allow_dns", "allow_proxy", "active_discovery", "managed")
    return {k: fields[k] for k in keys if k in fields}


async def create_subnet(conn: AsyncConnection, fields: dict[str, Any]) -> int:
    await lock_ipam(conn)
    cidr = ipam.network(fields["cidr"])
    name = await _check_name(conn, fields.get("name") or str(cidr), None)
    vlan_id = await resolve_vlan(conn, fields)
    gateway = ipam.ip(fields["gateway_ip"]) if fields.get("gateway_ip") else None
    ipam.check_gateway(gateway, cidr)
    await _check_overlap(conn, cidr, None)
    return await conn.scalar(insert(t.subnet).values(
        name=name, cidr=str(cidr), vlan_id=vlan_id, gateway_ip=str(gateway) if gateway else None,
        **_settings(fields)).returning(t.subnet.c.id))


async def _ranges(conn: AsyncConnection, subnet_id: int) -> list[ipam.Range]:
    rows = await conn.execute(select(t.iprange).where(t.iprange.c.subnet_id == subnet_id)
                              .order_by(t.iprange.c.start_ip))
    return [ipam.Range(r.id, r.type, ipam.ip(r.start_ip), ipam.ip(r.end_ip), r.comment) for r in rows]


async def allocated_addresses(conn: AsyncConnection, cidr: str) -> list[ipam.IP]:
    """Addresses in `cidr` held by nodes or users (discovered ones are only observations)."""
    rows = await conn.scalars(select(t.ip_address.c.ip).where(
        t.ip_address.c.ip.op("<<=")(cidr), t.ip_address.c.alloc_type != "discovered"))
    return [ipam.ip(a) for a in rows]


async def update_subnet(conn: AsyncConnection, row: dict, changes: dict[str, Any]) -> None:
    values = _settings(changes)
    cidr = ipam.network(row["cidr"])
    if "cidr" in changes and ipam.network(changes["cidr"]) != cidr:
        await lock_ipam(conn)
        cidr = ipam.network(changes["cidr"])
        await _check_overlap(conn, cidr, row["id"])
        problems = ipam.cidr_change_problems(cidr, await _ranges(conn, row["id"]),
                                             await allocated_addresses(conn, str(row["cidr"])))
        if problems:
            raise InvalidInput.field("cidr", f"Cannot change the CIDR to {cidr}: " + "; ".join(problems) + ".")
        values["cidr"] = str(cidr)
    if "name" in changes:
        values["name"] = await _check_name(conn, changes["name"] or str(cidr), row["id"])
    gateway = row["gateway_ip"]
    if "gateway_ip" in changes:
        gateway = changes["gateway_ip"]
        values["gateway_ip"] = gateway
    ipam.check_gateway(ipam.ip(gateway) if gateway else None, cidr)
    if any(k in changes for k in ("vlan", "fabric", "vid")):
        current_fabric = await conn.scalar(select(t.vlan.c.fabric_id).where(t.vlan.c.id == row["vlan_id"]))
        vlan_id = await resolve_vlan(conn, changes, current_fabric)
        if vlan_id != row["vlan_id"]:
            await guard_dhcp_pool(conn, row["vlan_id"], f"move subnet {row['cidr']} to another VLAN",
                                  without_subnet=row["id"])
            values["vlan_id"] = vlan_id
    if values:
        await conn.execute(update(t.subnet).where(t.subnet.c.id == row["id"]).values(**values))


async def delete_subnet(conn: AsyncConnection, row: dict) -> None:
    """Its IP ranges and discovered addresses go with it; addresses held by nodes keep it."""
    held = (await conn.execute(
        select(t.ip_address.c.ip, t.ip_address.c.alloc_type, t.node.c.hostname, t.interface.c.name)
        .select_from(t.ip_address.outerjoin(t.interface, t.interface.c.id == t.ip_address.c.interface_id)
                     .outerjoin(t.node, t.node.c.id == t.interface.c.node_id))
        .where(t.ip_address.c.subnet_id == row["id"], t.ip_address.c.alloc_type.in_(STATIC_TYPES))
        .order_by(t.ip_address.c.ip).limit(6))).all()
    if held:
        listed = ", ".join(f"{r.ip or '(auto)'} on {r.hostname}:{r.name}" if r.hostname
                           else f"{r.ip} ({r.alloc_type.replace('_', ' ')})" for r in held[:5])
        more = " and more" if len(held) > 5 else ""
        raise Refused(f"Cannot delete subnet {row['cidr']}: it has static addresses: {listed}{more}. "
                         "Unlink or release them first.")
    await guard_dhcp_pool(conn, row["vlan_id"], f"delete subnet {row['cidr']}", without_subnet=row["id"])
    await conn.execute(delete(t.subnet).where(t.subnet.c.id == row["id"]))

