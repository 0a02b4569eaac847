"""Rules shared by every named object (zones, pools, domains, fabrics, spaces, subnets)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, NotFound


def as_int(text: Any) -> int | None:
    """A database id from a path or form value; None when it is not a plain number."""
    text = str(text).strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def check_name(key: str, name: str, *, max_length: int = 256) -> str:
    """Names are looked up after ids, so a number would be shadowed by an id."""
    name = name.strip()
    if not name:
        raise InvalidInput.field(key, "This field cannot be blank.")
    if len(name) > max_length:
        raise InvalidInput.field(key, f"Ensure this value has at most {max_length} characters.")
    if name.isdigit():
        raise InvalidInput.field(key, f"'{name}' is not a valid name: a name cannot be just a number.")
    if re.search(r"[/\s]", name):
        raise InvalidInput.field(key, f"'{name}' is not a valid name: use no spaces or slashes.")
    return name


async def ensure_name_free(conn: AsyncConnection, table: Table, name: str, label: str,
                           exclude_id: int | None = None, *, ignore_case: bool = False) -> None:
    """400 on `name` when another row of `table` (not `exclude_id`) already has that name."""
    column = table.c.name
    same = func.lower(column) == name.lower() if ignore_case else column == name
    query = select(func.count()).select_from(table).where(same)
    if exclude_id is not None:
        query = query.where(table.c.id != exclude_id)
    if await conn.scalar(query):
        raise name_taken(name, label)


def name_taken(name: str, label: str) -> InvalidInput:
    return InvalidInput.field("name", f"A {label} named '{name}' already exists.")


def ensure_not_anothers_default(name: str, kind: str, own_id: int | None) -> None:
    """`<kind>-N` is what object N is called when created without a name: no other object may
    take it."""
    default = re.fullmatch(rf"{re.escape(kind)}-(\d+)", name)
    if default and int(default.group(1)) != own_id:
        raise InvalidInput.field("name", f"'{name}' is reserved for the {kind} with id {default.group(1)}.")


def by_id_or_name(table: Table, ref: str) -> ColumnElement[bool]:
    """Rows of `table` that `ref` names: by id when it is a number, else by name (MAAS accepts
    either in URLs and forms)."""
    if ref.isdigit():
        return or_(table.c.id == int(ref), table.c.name == ref)
    return table.c.name == ref


async def get_by_ref(conn: AsyncConnection, table: Table, ref: str, model: str) -> dict:
    """The row `ref` names (the lowest id when an id and a name both match), or 404 `No <model>`."""
    row = (await conn.execute(select(table).where(by_id_or_name(table, ref)).order_by(table.c.id))).first()
    if row is None:
        raise NotFound.model(model)
    return dict(row._mapping)


async def id_by_ref(conn: AsyncConnection, table: Table, ref: str, field: str, label: str) -> int:
    """The id of the row a form's `field` names, or a 400 on that field."""
    found = await conn.scalar(select(table.c.id).where(by_id_or_name(table, ref)).order_by(table.c.id))
    if found is None:
        raise InvalidInput.field(field, f"No {label} named '{ref}' exists.")
    return found


async def row_by_id(conn: AsyncConnection, table: Table, ref: str, model: str) -> dict:
    """The row of `table` whose id `ref` names; 404 `No <model> matches…` when none does."""
    row_id = as_int(ref)
    row = None if row_id is None else (await conn.execute(select(table).where(table.c.id == row_id))).first()
    if row is None:
        raise NotFound.model(model)
    return dict(row._mapping)
