"""Availability zones (`zones/`, `zones/{name}/`)."""

from __future__ import annotations

from pydantic import Field

from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.fields import MAX_TEXT
from ironworks.region.api.operations import Form, Handler
from ironworks.region.services.nodes import zones as svc

zones = Handler("ZonesHandler", "zones/", "Manage physical zones.")
zone = Handler("ZoneHandler", "zones/{name}/", "Manage a physical zone.")


@zone.lookup
async def find_zone(call: Call) -> dict:
    return await svc.get_zone(call.conn, call.path["name"])


class ZoneCreate(Form):
    name: str = Field(min_length=1, max_length=256, description="The name of the new zone.")
    description: str = Field(default="", max_length=MAX_TEXT, description="A description of the new zone.")


class ZoneUpdate(Form):
    name: str | None = Field(default=None, min_length=1, max_length=256, description="The new name of the zone.")
    description: str | None = Field(default=None, max_length=MAX_TEXT, description="The new description of the zone.")


@zones.action("read")
async def list_zones(call: Call) -> list[dict]:
    """List all zones."""
    return [render.zone(z) for z in await svc.list_zones(call.conn)]


@zones.action("create", form=ZoneCreate, admin=True)
async def create_zone(call: Call, form: ZoneCreate) -> dict:
    """Create a new zone."""
    return render.zone(await svc.create_zone(call.conn, form.name, form.description))


@zone.action("read")
async def read_zone(call: Call) -> dict:
    """Read a zone."""
    return render.zone(await find_zone(call))


@zone.action("update", form=ZoneUpdate, admin=True)
async def update_zone(call: Call, form: ZoneUpdate) -> dict:
    """Update a zone."""
    return render.zone(await svc.update_zone(call.conn, call.path["name"], form.name, form.description))


@zone.action("delete", admin=True)
async def delete_zone(call: Call) -> None:
    """Delete a zone.

    Its nodes move to the default zone.  The default zone cannot be deleted.
    """
    await svc.delete_zone(call.conn, call.path["name"])
