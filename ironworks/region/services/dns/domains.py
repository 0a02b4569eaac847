"""DNS domains.  Exactly one is the default (new nodes go there); it cannot be deleted, nor can
a domain that nodes still use."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, Refused
from ironworks.db import tables as t
from ironworks.region.services.names import (
    ensure_name_free,
    get_by_ref,
    id_by_ref,
    name_taken,
)
from ironworks.region.services.unique import duplicate_means

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
MAX_TTL = 604800  # one week, MAAS's bound


def check_name(name: str) -> str:
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidInput.field(
            "name", f"'{name}' is not a valid DNS domain name: use dot-separated labels of letters, "
                    "digits and hyphens (1-63 characters each, not starting or ending with a hyphen).")
    return name


def check_ttl(ttl: int | None) -> int | None:
    if ttl is not None and not 1 <= ttl <= MAX_TTL:
        raise InvalidInput.field("ttl", f"TTL must be between 1 and {MAX_TTL} seconds, or blank for the default.")
    return ttl


async def list_domains(conn: AsyncConnection) -> list[dict]:
    return [dict(r._mapping) for r in await conn.execute(select(t.domain).order_by(t.domain.c.id))]


async def get_domain(conn: AsyncConnection, ref: str) -> dict:
    return await get_by_ref(conn, t.domain, ref, "Domain")


async def domain_id(conn: AsyncConnection, ref: str, field: str = "domain") -> int:
    return await id_by_ref(conn, t.domain, ref, field, "domain")


async def default_domain_id(conn: AsyncConnection) -> int:
    return await conn.scalar(select(t.domain.c.id).where(t.domain.c.is_default))


async def create_domain(conn: AsyncConnection, name: str, authoritative: bool, ttl: int | None) -> dict:
    # DNS names are case-insensitive: `Example.com` and `example.com` are the same domain.
    await ensure_name_free(conn, t.domain, check_name(name), "domain", ignore_case=True)
    with duplicate_means(name_taken(name, "domain"), "uq_domain_name"):
        row = (await conn.execute(insert(t.domain).values(
            name=name, authoritative=authoritative, ttl=check_ttl(ttl)).returning(t.domain))).one()
    return dict(row._mapping)


async def update_domain(conn: AsyncConnection, ref: str, changes: dict) -> dict:
    """`changes`: any of name, authoritative, ttl (None clears the TTL)."""
    dom = await get_domain(conn, ref)
    values = dict(changes)
    if "name" in values:
        await ensure_name_free(conn, t.domain, check_name(values["name"]), "domain", dom["id"],
                               ignore_case=True)
    if "ttl" in values:
        check_ttl(values["ttl"])
    if values:
        with duplicate_means(name_taken(values.get("name", ""), "domain"), "uq_domain_name"):
            row = (await conn.execute(update(t.domain).where(t.domain.c.id == dom["id"]).values(**values)
                                      .returning(t.domain))).one()
        dom = dict(row._mapping)
    return dom


async def set_default(conn: AsyncConnection, ref: str) -> dict:
    dom = await get_domain(conn, ref)
    if not dom["is_default"]:
        # Two steps: the partial unique index allows only one default at any moment.
        await conn.execute(update(t.domain).where(t.domain.c.is_default).values(is_default=False))
        await conn.execute(update(t.domain).where(t.domain.c.id == dom["id"]).values(is_default=True))
        dom["is_default"] = True
    return dom


async def delete_domain(conn: AsyncConnection, ref: str) -> None:
    dom = await get_domain(conn, ref)
    if dom["is_default"]:
        raise Refused(f"The default domain ('{dom['name']}') cannot be deleted. "
                         "Make another domain the default first.")
    used = await conn.scalar(select(func.count()).where(t.node.c.domain_id == dom["id"]))
    if used:
        raise Refused(f"Cannot delete domain '{dom['name']}': it is used by {used} node(s). "
                         "Move them to another domain first.")
    await conn.execute(delete(t.domain).where(t.domain.c.id == dom["id"]))
