"""Spaces: named groups of VLANs (a subnet is in its VLAN's space)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput
from ironworks.db import tables as t
from ironworks.region.services.names import (
    check_name,
    ensure_name_free,
    ensure_not_anothers_default,
)
from ironworks.region.services.networking.lookups import load_vlans

RESERVED = "undefined"  # how a VLAN without a space shows its space


async def list_spaces(conn: AsyncConnection, space_id: int | None = None) \
        -> tuple[list[dict], dict[int, list[dict]], dict[int, list[dict]], dict[int, dict]]:
    """Spaces, their VLAN rows and subnet rows by space id, and VLAN rows by id: three queries."""
    query = select(t.space).order_by(t.space.c.id)
    if space_id is not None:
        query = query.where(t.space.c.id == space_id)
    spaces = [dict(r._mapping) for r in await conn.execute(query)]
    ids = [s["id"] for s in spaces]
    vlans = await load_vlans(conn, lambda v: v.c.space_id.in_(ids))
    subnets = await conn.execute(
        select(t.subnet, t.vlan.c.space_id, t.space.c.name.label("space_name"))
        .join(t.vlan, t.vlan.c.id == t.subnet.c.vlan_id).join(t.space, t.space.c.id == t.vlan.c.space_id)
        .where(t.vlan.c.space_id.in_(ids)).order_by(t.subnet.c.id))
    vlans_of: dict[int, list[dict]] = {i: [] for i in ids}
    subnets_of: dict[int, list[dict]] = {i: [] for i in ids}
    for row in vlans.rows:
        vlans_of[row["space_id"]].append(row)
    for sub in subnets:
        subnets_of[sub.space_id].append(dict(sub._mapping))
    return spaces, vlans_of, subnets_of, vlans.by_id


async def _check_name(conn: AsyncConnection, name: str, space_id: int | None) -> str:
    name = check_name("name", name)
    if name == RESERVED:
        raise InvalidInput.field("name", f"'{RESERVED}' is reserved: it is shown for VLANs without a space.")
    ensure_not_anothers_default(name, "space", space_id)
    await ensure_name_free(conn, t.space, name, "space", space_id)
    return name


async def create_space(conn: AsyncConnection, fields: dict[str, Any]) -> int:
    space_id = await conn.scalar(select(func.nextval("space_id_seq")))
    name = fields.get("name") or ""
    name = await _check_name(conn, name, space_id) if name.strip() else f"space-{space_id}"
    await conn.execute(insert(t.space).values(id=space_id, name=name,
                                              description=fields.get("description", "")))
    return space_id


async def update_space(conn: AsyncConnection, space: dict, changes: dict[str, Any]) -> None:
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = await _check_name(conn, changes["name"] or "", space["id"])
    if "description" in changes:
        values["description"] = changes["description"]
    if values:
        await conn.execute(update(t.space).where(t.space.c.id == space["id"]).values(**values))


async def delete_space(conn: AsyncConnection, space: dict) -> None:
    # Its VLANs (and so their subnets) become "undefined": the foreign key sets NULL.
    await conn.execute(delete(t.space).where(t.space.c.id == space["id"]))
