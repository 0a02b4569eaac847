"""Shared by the networking services: bulk loaders (a fixed number of queries whatever the row
count) and lookups of fabrics, VLANs, spaces and subnets by the references clients send."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Table,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, NotFound
from ironworks.db import tables as t
from ironworks.region.services.names import as_int

DEFAULT_FABRIC_ID = 0
Where = Callable[[FromClause], ColumnElement[bool]]  # a condition on a vlan/subnet (alias)


# -- VLANs ---------------------------------------------------------------------------------

@dataclass
class Vlans:
    rows: list[dict]  # the VLANs asked for, ordered by fabric and vid
    by_id: dict[int, dict] = field(default_factory=dict)  # those plus the VLANs they relay to


def _vlan_select(v: FromClause) -> Select:
    primary, secondary = t.node.alias(), t.node.alias()
    return (
        select(v, t.fabric.c.name.label("fabric_name"), t.space.c.name.label("space_name"),
               primary.c.system_id.label("primary_rack_system_id"),
               secondary.c.system_id.label("secondary_rack_system_id"))
        .select_from(v.join(t.fabric, t.fabric.c.id == v.c.fabric_id)
                     .outerjoin(t.space, t.space.c.id == v.c.space_id)
                     .outerjoin(primary, primary.c.id == v.c.primary_rack_id)
                     .outerjoin(secondary, secondary.c.id == v.c.secondary_rack_id))
    )


async def load_vlans(conn: AsyncConnection, where: Where) -> Vlans:
    """The VLANs matching `where` with the columns render.vlan needs, and their relay VLANs:
    one query."""
    v, relaying = t.vlan, t.vlan.alias("relaying")
    relays = select(relaying.c.relay_vlan_id).where(where(relaying), relaying.c.relay_vlan_id.is_not(None))
    wanted = where(v)
    rows = await conn.execute(
        _vlan_select(v).add_columns(wanted.label("wanted"))
        .where(or_(wanted, v.c.id.in_(relays))).order_by(v.c.fabric_id, v.c.vid))
    loaded = Vlans([])
    for row in rows:
        data = dict(row._mapping)
        loaded.by_id[data["id"]] = data
        if data.pop("wanted"):
            loaded.rows.append(data)
    return loaded


async def find_vlan(conn: AsyncConnection, where: Where) -> Vlans:
    loaded = await load_vlans(conn, where)
    if not loaded.rows:
        raise NotFound.model("VLAN")
    return loaded


async def vlan_by_id(conn: AsyncConnection, ref: str) -> Vlans:
    vlan_id = as_int(ref)
    if vlan_id is None:
        raise NotFound.model("VLAN")
    return await find_vlan(conn, lambda v: v.c.id == vlan_id)


async def vlan_by_vid(conn: AsyncConnection, fabric_ref: str, vid_ref: str) -> Vlans:
    fabric = await get_fabric(conn, fabric_ref)
    vid = as_int(vid_ref)
    if vid is None:
        raise NotFound.model("VLAN")
    return await find_vlan(conn, lambda v: (v.c.fabric_id == fabric["id"]) & (v.c.vid == vid))


def vlan_label(row: dict) -> str:
    return f"{row['fabric_name']}.{row['vid']}"


# -- fabrics and spaces ---------------------------------------------------------------------

async def _by_id_else_name(conn: AsyncConnection, table: Table, ref: str, model: str) -> dict:
    """A row by id when `ref` is a number, else by name; 404 `No <model>` when none matches."""
    row_id = as_int(ref)
    cond = table.c.id == row_id if row_id is not None else table.c.name == str(ref)
    row = (await conn.execute(select(table).where(cond))).first()
    if row is None:
        raise NotFound.model(model)
    return dict(row._mapping)


async def get_fabric(conn: AsyncConnection, ref: str) -> dict:
    return await _by_id_else_name(conn, t.fabric, ref, "Fabric")


async def get_space(conn: AsyncConnection, ref: str) -> dict:
    return await _by_id_else_name(conn, t.space, ref, "Space")


async def resolve_space(conn: AsyncConnection, ref: str | None, key: str = "space") -> int | None:
    """A `space=` form value (name or id; empty clears) as a space id, or a 400 naming it."""
    if ref is None:
        return None
    try:
        return (await get_space(conn, ref))["id"]
    except NotFound:
        raise InvalidInput.field(key, f"Space '{ref}' does not exist.") from None


# -- subnets --------------------------------------------------------------------------------

async def load_subnets(conn: AsyncConnection, where: ColumnElement[bool]) -> tuple[list[dict], dict[int, dict]]:
    """Subnets matching `where` (on t.subnet) and every VLAN needed to render them: two queries."""
    rows = [dict(r._mapping) for r in await conn.execute(
        select(t.subnet, t.space.c.name.label("space_name"))
        .select_from(t.subnet.join(t.vlan, t.vlan.c.id == t.subnet.c.vlan_id)
                     .outerjoin(t.space, t.space.c.id == t.vlan.c.space_id))
        .where(where).order_by(t.subnet.c.id))]
    vlan_ids = sorted({r["vlan_id"] for r in rows})
    vlans = await load_vlans(conn, lambda v: v.c.id.in_(vlan_ids) if vlan_ids else false())
    return rows, vlans.by_id


def parse_cidr(ref: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    text = ref.strip().removeprefix("cidr:")
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


async def subnet_condition(conn: AsyncConnection, ref: str) -> ColumnElement[bool] | None:
    """How to find a subnet named by numeric id, CIDR (`cidr:` prefix optional) or name, in
    that order; None when nothing matches."""
    ref = str(ref).strip()
    candidates: list[ColumnElement[bool]] = []
    if (subnet_id := as_int(ref)) is not None:
        candidates.append(t.subnet.c.id == subnet_id)
    if (cidr := parse_cidr(ref)) is not None:
        candidates.append(t.subnet.c.cidr == str(cidr))
    candidates.append(t.subnet.c.name == ref.removeprefix("name:"))
    # One query answers every candidate; the first that matched wins.
    found = await conn.execute(select(t.subnet.c.id, *[c.label(f"m{i}") for i, c in enumerate(candidates)])
                               .where(or_(*candidates)))
    matches = found.all()
    for i in range(len(candidates)):
        for row in matches:
            if row._mapping[f"m{i}"]:
                return t.subnet.c.id == row.id
    return None


async def find_subnet(conn: AsyncConnection, ref: str) -> tuple[dict, dict[int, dict]]:
    cond = await subnet_condition(conn, ref)
    if cond is None:
        raise NotFound.model("Subnet")
    rows, vlans = await load_subnets(conn, cond)
    return rows[0], vlans


async def subnet_for_reference(conn: AsyncConnection, ref: str, key: str = "subnet") -> dict:
    """A subnet named in a form (id, CIDR or name), or a 400 naming the field."""
    cond = await subnet_condition(conn, ref)
    row = (await conn.execute(select(t.subnet).where(cond))).first() if cond is not None else None
    if row is None:
        raise InvalidInput.field(key, f"No subnet matches '{ref}' (give its id, CIDR or name).")
    return dict(row._mapping)


async def subnet_containing(conn: AsyncConnection, address: str) -> dict | None:
    row = (await conn.execute(select(t.subnet).where(t.subnet.c.cidr.op(">>=")(address))
                              .order_by(func.masklen(t.subnet.c.cidr).desc()).limit(1))).first()
    return dict(row._mapping) if row else None
