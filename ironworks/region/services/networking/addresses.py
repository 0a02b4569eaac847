"""Static addresses: what users reserve (`ipaddresses/`) and what interface links hold.  Every
check-then-write runs under the address-plan lock, so concurrent requests never get the same
address (the unique index uq_ip_address_ip_assigned stays the last line of defence)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    cast,
    delete,
    func,
    insert,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import MACADDR
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, NotFound, Refused
from ironworks.db import tables as t
from ironworks.region.services.networking import address_rules, ipam
from ironworks.region.services.networking.address_plan import lock_ipam
from ironworks.region.services.networking.lookups import (
    load_subnets,
    subnet_containing,
    subnet_for_reference,
)

# MAAS's numbers and names for alloc_type (a LINK_UP link is a static one without an address).
ALLOC_TYPES = {"auto": (0, "Automatic"), "sticky": (1, "Static"), "link_up": (1, "Static"),
               "user_reserved": (4, "User reserved"), "dhcp": (5, "DHCP"), "discovered": (6, "Observed")}


@dataclass(frozen=True)
class Reservation:
    subnet: str | None  # a subnet reference (id, CIDR or name)
    ip: str | None
    mac: str | None
    hostname: str


async def hold_address(conn: AsyncConnection, subnet: dict, requested: str | None, key: str = "ip_address") -> str:
    """An address of `subnet` for a static link or reservation: `requested` when it may be held,
    else the first free one.  Takes the address-plan lock; the caller inserts before committing."""
    await lock_ipam(conn)
    net = ipam.network(subnet["cidr"])
    ranges = [ipam.Range(r.id, r.type, ipam.ip(r.start_ip), ipam.ip(r.end_ip), r.comment)
              for r in await conn.execute(select(t.iprange).where(t.iprange.c.subnet_id == subnet["id"]))]
    taken = {ipam.ip(a) for a in await conn.scalars(select(func.host(t.ip_address.c.ip)).where(
        t.ip_address.c.ip.op("<<=")(str(net)), t.ip_address.c.alloc_type != "discovered"))}
    if requested is not None:
        addr = ipam.ip(requested)
        address_rules.check_requested(addr, net, ranges, taken, key)
        return str(addr)
    gateway = ipam.ip(subnet["gateway_ip"]) if subnet["gateway_ip"] else None
    return str(address_rules.allocate(net, ranges, taken, gateway))


async def reserve(conn: AsyncConnection, user_id: int, want: Reservation) -> int:
    if want.subnet is None and want.ip is None:
        raise InvalidInput.whole("Must supply either a subnet or an ip.")
    if want.subnet is not None:
        subnet = await subnet_for_reference(conn, want.subnet)
    else:
        found = await subnet_containing(conn, str(want.ip))
        if found is None:
            raise InvalidInput.field("ip", f"No subnet in MAAS contains {want.ip}.")
        subnet = found
    if want.mac is not None:
        owner = (await conn.execute(
            select(t.node.c.hostname).select_from(t.interface.join(t.node, t.node.c.id == t.interface.c.node_id))
            .where(t.interface.c.mac_address == cast(want.mac, MACADDR)).limit(1))).first()
        if owner is not None:
            raise InvalidInput.field("mac", f"MAC address {want.mac} already belongs to {owner.hostname}. Use of "
                                            "the interface API is required, for an interface that belongs to a node.")
    ip = await hold_address(conn, subnet, want.ip, "ip")
    return await conn.scalar(insert(t.ip_address).values(
        ip=ip, alloc_type="user_reserved", subnet_id=subnet["id"], user_id=user_id,
        hostname=want.hostname, mac_address=want.mac).returning(t.ip_address.c.id))


async def release(conn: AsyncConnection, user_id: int, ip: str, *, force: bool) -> None:
    """A user releases their own reservation; with `force` (administrators) any held address,
    an interface link's included."""
    await lock_ipam(conn)
    row = (await conn.execute(select(t.ip_address).where(
        t.ip_address.c.ip == ip, t.ip_address.c.alloc_type != "discovered"))).first()
    if row is None:
        raise NotFound(f"IP address {ip} is not allocated.")
    if not force and (row.alloc_type != "user_reserved" or row.user_id != user_id):
        raise Refused(f"IP address {ip} is not a reservation of yours; an administrator may release "
                      "it with force=true.")
    await conn.execute(delete(t.ip_address).where(t.ip_address.c.id == row.id))


async def list_addresses(conn: AsyncConnection, where: ColumnElement[bool]) -> tuple[list[dict], dict[int, dict], dict[int, dict]]:
    """Held addresses matching `where` with their owner, interface and node, then the subnets and
    VLANs they nest: three statements whatever the row count."""
    a, u, i, n = t.ip_address.c, t.user.c, t.interface.c, t.node.c
    rows = [dict(r._mapping) for r in await conn.execute(
        select(a.id, func.host(a.ip).label("ip"), a.alloc_type, a.subnet_id, a.created, a.hostname,
               u.username, u.email, u.is_superuser, u.is_local,
               i.id.label("interface_id"), i.name.label("interface_name"), i.type.label("interface_type"),
               cast(i.mac_address, Text).label("interface_mac"), n.system_id)
        .select_from(t.ip_address.outerjoin(t.user, u.id == a.user_id)
                     .outerjoin(t.interface, i.id == a.interface_id).outerjoin(t.node, n.id == i.node_id))
        .where(and_(a.ip.is_not(None), a.alloc_type != "discovered", where)).order_by(a.ip))]
    subnet_ids = sorted({r["subnet_id"] for r in rows} - {None})
    subnets, vlans = await load_subnets(conn, t.subnet.c.id.in_(subnet_ids))
    return rows, {s["id"]: s for s in subnets}, vlans


def visible(user_id: int, *, everything: bool, ip: str | None, owner_id: int | None) -> ColumnElement[bool]:
    """`ipaddresses read`: a user's own reservations, or (administrators) every held address."""
    cond: Any = t.ip_address.c.ip.is_not(None) if everything else and_(
        t.ip_address.c.alloc_type == "user_reserved", t.ip_address.c.user_id == user_id)
    if ip is not None:
        cond = and_(cond, t.ip_address.c.ip == ip)
    if owner_id is not None:
        cond = and_(cond, t.ip_address.c.user_id == owner_id)
    return cond if cond is not None else true()


async def user_id_of(conn: AsyncConnection, username: str) -> int:
    found = await conn.scalar(select(t.user.c.id).where(t.user.c.username == username))
    if found is None:
        raise InvalidInput.field("owner", f"No user named '{username}'.")
    return found
