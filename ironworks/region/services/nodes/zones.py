"""Availability zones.  Zone `default` (id 1) always exists; deleting another zone moves its
nodes there."""

from __future__ import annotations

import re

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, NotFound, Refused
from ironworks.db import tables as t
from ironworks.region.services.names import ensure_name_free

DEFAULT_ZONE_ID = 1
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")


def check_name(name: str) -> str:
    if not _NAME.match(name) or len(name) > 256:
        raise InvalidInput.field(
            "name", f"'{name}' is not a valid zone name: use letters, digits, underscores and hyphens "
                    "(at most 256 characters, no spaces).")
    return name


async def list_zones(conn: AsyncConnection) -> list[dict]:
    return [dict(r._mapping) for r in await conn.execute(select(t.zone).order_by(t.zone.c.name))]


async def get_zone(conn: AsyncConnection, name: str) -> dict:
    row = (await conn.execute(select(t.zone).where(t.zone.c.name == name))).first()
    if row is None:
        raise NotFound.model("Zone")
    return dict(row._mapping)


async def zone_id(conn: AsyncConnection, name: str, field: str = "zone") -> int:
    """The id of the zone a form names (a 400 naming the field when there is none)."""
    found = await conn.scalar(select(t.zone.c.id).where(t.zone.c.name == name))
    if found is None:
        raise InvalidInput.field(field, f"No zone named '{name}' exists.")
    return found


async def create_zone(conn: AsyncConnection, name: str, description: str) -> dict:
    await ensure_name_free(conn, t.zone, check_name(name), "zone")
    row = (await conn.execute(insert(t.zone).values(name=name, description=description)
                              .returning(t.zone))).one()
    return dict(row._mapping)


async def update_zone(conn: AsyncConnection, name: str, new_name: str | None,
                      description: str | None) -> dict:
    zone = await get_zone(conn, name)
    values: dict[str, str] = {}
    if new_name is not None and new_name != zone["name"]:
        if zone["id"] == DEFAULT_ZONE_ID:
            raise InvalidInput.field("name", "The default zone cannot be renamed.")
        await ensure_name_free(conn, t.zone, check_name(new_name), "zone", zone["id"])
        values["name"] = new_name
    if description is not None:
        values["description"] = description
    if values:
        row = (await conn.execute(update(t.zone).where(t.zone.c.id == zone["id"]).values(**values)
                                  .returning(t.zone))).one()
        zone = dict(row._mapping)
    return zone


async def delete_zone(conn: AsyncConnection, name: str) -> None:
    zone = await get_zone(conn, name)
    if zone["id"] == DEFAULT_ZONE_ID:
        raise Refused(f"The default zone ('{zone['name']}') cannot be deleted.")
    await conn.execute(update(t.node).where(t.node.c.zone_id == zone["id"]).values(zone_id=DEFAULT_ZONE_ID))
    await conn.execute(delete(t.zone).where(t.zone.c.id == zone["id"]))
