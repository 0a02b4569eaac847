"""Static routes: from a source subnet to a destination subnet through a gateway in the source.

`route_problem` is the rule; the rest reads and writes rows.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput
from ironworks.db import tables as t
from ironworks.region.services.names import row_by_id
from ironworks.region.services.networking.lookups import (
    load_subnets,
    subnet_for_reference,
)


def route_problem(source: dict, destination: dict, gateway_ip: str) -> InvalidInput | None:
    """What is wrong with a route (source and destination are subnet rows), or None."""
    if source["id"] == destination["id"]:
        return InvalidInput.whole("source and destination cannot be the same subnet.")
    src, dst = ipaddress.ip_network(str(source["cidr"])), ipaddress.ip_network(str(destination["cidr"]))
    if src.version != dst.version:
        return InvalidInput.whole("source and destination must be the same IP version.")
    gateway = ipaddress.ip_address(gateway_ip)
    if gateway not in src:
        return InvalidInput.field("gateway_ip", f"gateway_ip must be within the source subnet {src}.")
    return None


async def list_routes(conn: AsyncConnection, where: ColumnElement[bool] | None = None) \
        -> tuple[list[dict], dict[int, dict], dict[int, dict]]:
    """Routes, subnet rows by id and VLAN rows by id: three queries for any number of routes."""
    rows = [dict(r._mapping) for r in await conn.execute(
        select(t.static_route).where(where if where is not None else true()).order_by(t.static_route.c.id))]
    ids = sorted({r["source_id"] for r in rows} | {r["destination_id"] for r in rows})
    subnets, vlans = await load_subnets(conn, t.subnet.c.id.in_(ids))
    return rows, {s["id"]: s for s in subnets}, vlans


async def get_route(conn: AsyncConnection, ref: str) -> dict:
    return await row_by_id(conn, t.static_route, ref, "StaticRoute")


async def _subnet(conn: AsyncConnection, subnet_id: int) -> dict:
    return dict((await conn.execute(select(t.subnet).where(t.subnet.c.id == subnet_id))).one()._mapping)


async def _save(conn: AsyncConnection, current: dict | None, fields: dict[str, Any]) -> int:
    source = (await subnet_for_reference(conn, fields["source"], "source") if "source" in fields
              else await _subnet(conn, current["source_id"]))  # type: ignore[index]
    destination = (await subnet_for_reference(conn, fields["destination"], "destination")
                   if "destination" in fields else await _subnet(conn, current["destination_id"]))  # type: ignore[index]
    gateway = fields.get("gateway_ip") or str(current["gateway_ip"])  # type: ignore[index]
    problem = route_problem(source, destination, gateway)
    if problem is not None:
        raise problem
    same = select(func.count()).select_from(t.static_route).where(
        t.static_route.c.source_id == source["id"], t.static_route.c.destination_id == destination["id"],
        t.static_route.c.gateway_ip == gateway)
    if current is not None:
        same = same.where(t.static_route.c.id != current["id"])
    if await conn.scalar(same):
        raise InvalidInput.whole("Static route with this Source, Destination and Gateway ip already exists.")
    values = {"source_id": source["id"], "destination_id": destination["id"], "gateway_ip": gateway}
    if "metric" in fields:
        values["metric"] = fields["metric"]
    if current is None:
        return await conn.scalar(insert(t.static_route).values(**values).returning(t.static_route.c.id))
    await conn.execute(update(t.static_route).where(t.static_route.c.id == current["id"]).values(**values))
    return current["id"]


async def create_route(conn: AsyncConnection, fields: dict[str, Any]) -> int:
    return await _save(conn, None, fields)


async def update_route(conn: AsyncConnection, row: dict, fields: dict[str, Any]) -> None:
    await _save(conn, row, fields)


async def delete_route(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(delete(t.static_route).where(t.static_route.c.id == row["id"]))
