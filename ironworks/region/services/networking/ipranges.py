"""IP ranges: dynamic (DHCP pools) and reserved ranges inside a subnet, checked by ipam."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput
from ironworks.db import tables as t
from ironworks.region.services.names import row_by_id
from ironworks.region.services.networking import ipam
from ironworks.region.services.networking.address_plan import guard_dhcp_pool, lock_ipam
from ironworks.region.services.networking.lookups import (
    load_subnets,
    subnet_containing,
    subnet_for_reference,
)
from ironworks.region.services.networking.subnets import allocated_addresses

_USER = {"username": t.user.c.username, "email": t.user.c.email,
         "is_superuser": t.user.c.is_superuser, "is_local": t.user.c.is_local}


async def list_ranges(conn: AsyncConnection, where: ColumnElement[bool] | None = None) \
        -> tuple[list[dict], dict[int, dict], dict[int, dict]]:
    """Ranges (with `user`: the user row or None), subnet rows by id, VLAN rows by id: three queries."""
    rows = []
    result = await conn.execute(
        select(t.iprange, *[c.label(f"user_{k}") for k, c in _USER.items()])
        .select_from(t.iprange.outerjoin(t.user, t.user.c.id == t.iprange.c.user_id))
        .where(where if where is not None else true()).order_by(t.iprange.c.id))
    for r in result:
        data = dict(r._mapping)
        user = {k: data.pop(f"user_{k}") for k in _USER}
        data["user"] = user if data["user_id"] is not None else None
        rows.append(data)
    subnet_ids = sorted({r["subnet_id"] for r in rows})
    subnets, vlans = await load_subnets(conn, t.subnet.c.id.in_(subnet_ids))
    return rows, {s["id"]: s for s in subnets}, vlans


async def get_range(conn: AsyncConnection, ref: str) -> dict:
    return await row_by_id(conn, t.iprange, ref, "IPRange")


def _to_range(r: Any) -> ipam.Range:
    return ipam.Range(r.id, r.type, ipam.ip(r.start_ip), ipam.ip(r.end_ip), r.comment)


async def _check(conn: AsyncConnection, kind: str, start: ipam.IP, end: ipam.IP, subnet: dict,
                 range_id: int | None) -> None:
    others = await conn.execute(select(t.iprange).where(t.iprange.c.subnet_id == subnet["id"],
                                                        t.iprange.c.id != (range_id or -1)))
    allocated = await allocated_addresses(conn, str(subnet["cidr"])) if kind == "dynamic" else []
    gateway = ipam.ip(subnet["gateway_ip"]) if subnet["gateway_ip"] else None
    ipam.check_range(kind, start, end, ipam.network(subnet["cidr"]), [_to_range(o) for o in others],
                     allocated, gateway)


async def create_range(conn: AsyncConnection, user_id: int, fields: dict[str, Any]) -> int:
    await lock_ipam(conn)
    start, end = ipam.ip(fields["start_ip"]), ipam.ip(fields["end_ip"])
    if fields.get("subnet") is not None:
        subnet = await subnet_for_reference(conn, fields["subnet"])
    else:
        found = await subnet_containing(conn, str(start))
        if found is None:
            raise InvalidInput.field("subnet", f"No subnet contains {start}; create the subnet first "
                                                   "or name it with subnet=.")
        subnet = found
    await _check(conn, fields["type"], start, end, subnet, None)
    return await conn.scalar(insert(t.iprange).values(
        subnet_id=subnet["id"], type=fields["type"], start_ip=str(start), end_ip=str(end),
        comment=fields.get("comment") or "", user_id=user_id).returning(t.iprange.c.id))


async def _subnet(conn: AsyncConnection, subnet_id: int) -> dict:
    return dict((await conn.execute(select(t.subnet).where(t.subnet.c.id == subnet_id))).one()._mapping)


def _name(row: dict) -> str:
    return f"{row['type']} range {ipam.ip(row['start_ip'])}-{ipam.ip(row['end_ip'])}"


async def update_range(conn: AsyncConnection, row: dict, changes: dict[str, Any]) -> None:
    values: dict[str, Any] = {}
    if "comment" in changes:
        values["comment"] = changes["comment"] or ""
    start = ipam.ip(changes.get("start_ip", row["start_ip"]))
    end = ipam.ip(changes.get("end_ip", row["end_ip"]))
    if (start, end) != (ipam.ip(row["start_ip"]), ipam.ip(row["end_ip"])):
        await lock_ipam(conn)
        subnet = await _subnet(conn, row["subnet_id"])
        if row["type"] == "dynamic":
            # A live DHCP pool is not edited under the servers' feet.
            await guard_dhcp_pool(conn, subnet["vlan_id"], f"change the {_name(row)}", without_range=row["id"])
        await _check(conn, row["type"], start, end, subnet, row["id"])
        values.update(start_ip=str(start), end_ip=str(end))
    if values:
        await conn.execute(update(t.iprange).where(t.iprange.c.id == row["id"]).values(**values))


async def delete_range(conn: AsyncConnection, row: dict) -> None:
    if row["type"] == "dynamic":
        subnet = await _subnet(conn, row["subnet_id"])
        await guard_dhcp_pool(conn, subnet["vlan_id"], f"delete the {_name(row)}", without_range=row["id"])
    await conn.execute(delete(t.iprange).where(t.iprange.c.id == row["id"]))
