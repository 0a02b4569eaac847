"""Fabrics: each comes with its untagged VLAN; fabric 0 is the default and stays."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import Refused
from ironworks.db import tables as t
from ironworks.region.services.names import (
    check_name,
    ensure_name_free,
    ensure_not_anothers_default,
)
from ironworks.region.services.networking.lookups import DEFAULT_FABRIC_ID, load_vlans
from ironworks.region.services.networking.vlans import vlans_in_use


async def list_fabrics(conn: AsyncConnection, fabric_id: int | None = None) \
        -> tuple[list[dict], dict[int, list[dict]], dict[int, dict]]:
    """Fabrics (all, or one), their VLANs by fabric id, and every VLAN row by id: two queries."""
    query = select(t.fabric).order_by(t.fabric.c.id)
    if fabric_id is not None:
        query = query.where(t.fabric.c.id == fabric_id)
    fabrics = [dict(r._mapping) for r in await conn.execute(query)]
    ids = [f["id"] for f in fabrics]
    vlans = await load_vlans(conn, lambda v: v.c.fabric_id.in_(ids))
    by_fabric: dict[int, list[dict]] = {i: [] for i in ids}
    for row in vlans.rows:
        by_fabric[row["fabric_id"]].append(row)
    return fabrics, by_fabric, vlans.by_id


async def _check_name(conn: AsyncConnection, name: str, fabric_id: int | None) -> str:
    name = check_name("name", name)
    ensure_not_anothers_default(name, "fabric", fabric_id)
    await ensure_name_free(conn, t.fabric, name, "fabric", fabric_id)
    return name


async def create_fabric(conn: AsyncConnection, fields: dict[str, Any]) -> int:
    fabric_id = await conn.scalar(select(func.nextval("fabric_id_seq")))
    name = fields.get("name") or ""
    name = await _check_name(conn, name, fabric_id) if name.strip() else f"fabric-{fabric_id}"
    await conn.execute(insert(t.fabric).values(
        id=fabric_id, name=name, description=fields.get("description", ""),
        class_type=fields.get("class_type") or None))
    await conn.execute(insert(t.vlan).values(fabric_id=fabric_id, vid=0, name="untagged", mtu=1500))
    return fabric_id


async def update_fabric(conn: AsyncConnection, fabric: dict, changes: dict[str, Any]) -> None:
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = await _check_name(conn, changes["name"] or "", fabric["id"])
    if "description" in changes:
        values["description"] = changes["description"]
    if "class_type" in changes:
        values["class_type"] = changes["class_type"] or None
    if values:
        await conn.execute(update(t.fabric).where(t.fabric.c.id == fabric["id"]).values(**values))


async def delete_fabric(conn: AsyncConnection, fabric: dict) -> None:
    if fabric["id"] == DEFAULT_FABRIC_ID:
        raise Refused(f"Fabric {fabric['name']} is the default fabric; it cannot be deleted.")
    vlan_ids = list(await conn.scalars(select(t.vlan.c.id).where(t.vlan.c.fabric_id == fabric["id"])))
    reasons = await vlans_in_use(conn, vlan_ids)
    if reasons:
        raise Refused(f"Cannot delete fabric {fabric['name']}: its VLANs are in use by "
                         + "; ".join(reasons) + ".")
    await conn.execute(delete(t.fabric).where(t.fabric.c.id == fabric["id"]))
