"""Tags: names an administrator puts on nodes (and kernel options that come with them).

A tag's `definition` (an XPath over hardware details) is stored; evaluating it comes with
commissioning.  Nodes are tagged by hand with `update_nodes`.
"""

from __future__ import annotations

import re
from typing import Sequence

from sqlalchemy import (
    ARRAY,
    String,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import Conflict, InvalidInput, NotFound
from ironworks.db import tables as t
from ironworks.region.services.names import ensure_name_free

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_NAME = 256


def check_tag_name(name: str) -> str:
    if not name:
        raise InvalidInput.field("name", "This field is required.")
    if len(name) > MAX_NAME or not _NAME.match(name):
        raise InvalidInput.field("name", f"'{name[:60]}' is not a valid tag name: use letters, digits, "
                                         f"underscores and hyphens (at most {MAX_NAME} characters).")
    return name


def parse_tag_names(values: Sequence[str]) -> list[str]:
    """Tag names from a filter: repeated, or comma/space separated as in older clients."""
    return [name for value in values for name in re.split(r"[,\s]+", value) if name]


async def list_tags(conn: AsyncConnection) -> list[dict]:
    return [dict(r._mapping) for r in await conn.execute(select(t.tag).order_by(t.tag.c.name))]


async def get_tag(conn: AsyncConnection, name: str) -> dict:
    row = (await conn.execute(select(t.tag).where(t.tag.c.name == name))).first()
    if row is None:
        raise NotFound.model("Tag")
    return dict(row._mapping)


async def tag_ids(conn: AsyncConnection, names: Sequence[str], field: str) -> list[int]:
    """The ids of the tags `names` name; a 400 on `field` listing the unknown ones."""
    rows = (await conn.execute(select(t.tag.c.name, t.tag.c.id).where(
        t.tag.c.name == any_(bindparam("tag_names", list(set(names)), type_=ARRAY(String)))))).all()
    found = {name: tag_id for name, tag_id in rows}
    unknown = sorted(set(names) - set(found))
    if unknown:
        raise InvalidInput.field(field, "No such tag(s): " + ", ".join(f"'{n}'" for n in unknown) + ".")
    return sorted(found.values())


async def create_tag(conn: AsyncConnection, values: dict) -> dict:
    await ensure_name_free(conn, t.tag, check_tag_name(values["name"]), "tag")
    row = (await conn.execute(insert(t.tag).values(**values).returning(t.tag))).one()
    return dict(row._mapping)


async def update_tag(conn: AsyncConnection, tag: dict, values: dict) -> dict:
    if "name" in values and values["name"] != tag["name"]:
        await ensure_name_free(conn, t.tag, check_tag_name(values["name"]), "tag", tag["id"])
    if not values:
        return tag
    row = (await conn.execute(update(t.tag).where(t.tag.c.id == tag["id"]).values(**values)
                              .returning(t.tag))).one()
    return dict(row._mapping)


async def delete_tag(conn: AsyncConnection, tag: dict) -> None:
    await conn.execute(delete(t.tag).where(t.tag.c.id == tag["id"]))


async def update_nodes(conn: AsyncConnection, tag: dict, add: Sequence[str], remove: Sequence[str],
                       definition: str | None = None) -> tuple[int, int]:
    """Tag the nodes `add` names and untag those `remove` names (system ids).  Unknown system
    ids are skipped, as in MAAS: the counts say how many nodes each list matched.  A caller
    that gives `definition` acts only if the tag still has it."""
    if definition is not None and definition != tag["definition"]:
        raise Conflict(f"Definition supplied '{definition}' doesn't match current definition "
                       f"'{tag['definition']}'")
    def matching(ids: Sequence[str], name: str):  # noqa: ANN202
        return select(t.node.c.id).where(t.node.c.system_id == any_(
            bindparam(name, list(set(ids)), type_=ARRAY(String))))

    added = removed = 0
    if add:
        matched = matching(add, "add_ids").subquery()
        added = await conn.scalar(select(func.count()).select_from(matched)) or 0
        await conn.execute(pg_insert(t.node_tag).from_select(
            ["node_id", "tag_id"], select(matched.c.id, bindparam("tag_id", tag["id"])))
            .on_conflict_do_nothing())
    if remove:
        matched = matching(remove, "remove_ids").subquery()
        removed = await conn.scalar(select(func.count()).select_from(matched)) or 0
        await conn.execute(delete(t.node_tag).where(
            t.node_tag.c.tag_id == tag["id"], t.node_tag.c.node_id.in_(select(matched.c.id))))
    return added, removed
