"""Static routes (`static-routes/`, `static-routes/{id}/`) between subnets."""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import Field

from ironworks.db import tables as t
from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.fields import IPAddress
from ironworks.region.api.operations import API_PREFIX, Form, Handler
from ironworks.region.services.networking import static_routes as svc

MAX_INT = 2**31 - 1

static_routes = Handler("StaticRoutesHandler", "static-routes/", "Manage static routes.")
static_route = Handler("StaticRouteHandler", "static-routes/{id}/", "Manage a static route.")


def render_route(row: Mapping[str, Any], source: dict, destination: dict) -> dict:
    return {"id": row["id"], "source": source, "destination": destination,
            "gateway_ip": str(row["gateway_ip"]), "metric": row["metric"],
            "resource_uri": f"{API_PREFIX}static-routes/{row['id']}/"}


@static_route.lookup
async def find_route(call: Call) -> dict:
    return await svc.get_route(call.conn, call.path["id"])


class RouteCreate(Form):
    source: str = Field(description="The subnet (id, CIDR or name) the route is from.")
    destination: str = Field(description="The subnet (id, CIDR or name) the route is to.")
    gateway_ip: IPAddress = Field(description="The gateway, an address in the source subnet.")
    metric: int = Field(default=0, ge=0, le=MAX_INT, description="The route's weight (0 by default).")


class RouteUpdate(Form):
    source: str | None = Field(default=None, description="The subnet (id, CIDR or name) the route is from.")
    destination: str | None = Field(default=None, description="The subnet (id, CIDR or name) the route is to.")
    gateway_ip: IPAddress | None = Field(default=None, description="The gateway, an address in the source subnet.")
    metric: int | None = Field(default=None, ge=0, le=MAX_INT, description="The route's weight.")


async def _routes(call: Call, route_id: int | None = None) -> list[dict]:
    where = t.static_route.c.id == route_id if route_id is not None else None
    rows, subnets, vlans = await svc.list_routes(call.conn, where)
    rendered = {i: render.subnet_in(s, vlans) for i, s in subnets.items()}
    return [render_route(r, rendered[r["source_id"]], rendered[r["destination_id"]]) for r in rows]


def _given(form: Form) -> dict[str, Any]:
    return {k: v for k, v in form.model_dump(exclude_unset=True).items() if v is not None}


@static_routes.action("read")
async def list_routes(call: Call) -> list[dict]:
    """List all static routes."""
    return await _routes(call)


@static_routes.action("create", form=RouteCreate, admin=True)
async def create_route(call: Call, form: RouteCreate) -> dict:
    """Create a static route.

    The source and destination must be different subnets of the same IP version, and the
    gateway an address in the source subnet.
    """
    return (await _routes(call, await svc.create_route(call.conn, form.model_dump())))[0]


@static_route.action("read")
async def read_route(call: Call) -> dict:
    """Read a static route."""
    return (await _routes(call, (await find_route(call))["id"]))[0]


@static_route.action("update", form=RouteUpdate, admin=True)
async def update_route(call: Call, form: RouteUpdate) -> dict:
    """Update a static route; only the fields given change."""
    row = await find_route(call)
    await svc.update_route(call.conn, row, _given(form))
    return (await _routes(call, row["id"]))[0]


@static_route.action("delete", admin=True)
async def delete_route(call: Call) -> None:
    """Delete a static route."""
    await svc.delete_route(call.conn, await find_route(call))
