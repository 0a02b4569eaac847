"""Resource pools.  Pool `default` (id 0) always exists; a pool holding machines cannot go."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, Refused
from ironworks.common.nodetypes import NodeType
from ironworks.db import tables as t
from ironworks.region.services.names import ensure_name_free, get_by_ref, id_by_ref

DEFAULT_POOL_ID = 0
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ -]*$")


def check_name(name: str) -> str:
    if not _NAME.match(name) or name != name.strip() or len(name) > 256:
        raise InvalidInput.field(
            "name", f"'{name}' is not a valid resource pool name: use letters, digits, spaces, "
                    "underscores and hyphens, starting with a letter, digit or underscore.")
    return name


async def list_pools(conn: AsyncConnection) -> list[dict]:
    rows = await conn.execute(select(t.resource_pool).order_by(t.resource_pool.c.id))
    return [dict(r._mapping) for r in rows]


async def get_pool(conn: AsyncConnection, ref: str) -> dict:
    return await get_by_ref(conn, t.resource_pool, ref, "ResourcePool")


async def pool_id(conn: AsyncConnection, ref: str, field: str = "pool") -> int:
    return await id_by_ref(conn, t.resource_pool, ref, field, "resource pool")


async def create_pool(conn: AsyncConnection, name: str, description: str) -> dict:
    await ensure_name_free(conn, t.resource_pool, check_name(name), "resource pool")
    row = (await conn.execute(insert(t.resource_pool).values(name=name, description=description)
                              .returning(t.resource_pool))).one()
    return dict(row._mapping)


async def update_pool(conn: AsyncConnection, ref: str, name: str | None, description: str | None) -> dict:
    pool = await get_pool(conn, ref)
    values: dict[str, str] = {}
    if name is not None and name != pool["name"]:
        await ensure_name_free(conn, t.resource_pool, check_name(name), "resource pool", pool["id"])
        values["name"] = name
    if description is not None:
        values["description"] = description
    if values:
        row = (await conn.execute(update(t.resource_pool).where(t.resource_pool.c.id == pool["id"])
                                  .values(**values).returning(t.resource_pool))).one()
        pool = dict(row._mapping)
    return pool


async def delete_pool(conn: AsyncConnection, ref: str) -> None:
    pool = await get_pool(conn, ref)
    if pool["id"] == DEFAULT_POOL_ID:
        raise Refused("The default resource pool cannot be deleted.")
    machines = await conn.scalar(select(func.count()).where(
        t.node.c.pool_id == pool["id"], t.node.c.node_type == NodeType.MACHINE))
    if machines:
        raise Refused(f"Cannot delete resource pool '{pool['name']}': it contains {machines} "
                         "machine(s). Move them to another pool first.")
    # Controllers never belong to a pool in practice; clear any stray reference.
    await conn.execute(update(t.node).where(t.node.c.pool_id == pool["id"]).values(pool_id=None))
    await conn.execute(delete(t.resource_pool).where(t.resource_pool.c.id == pool["id"]))
