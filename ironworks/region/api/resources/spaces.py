"""Spaces (`spaces/`, `spaces/{id}/`)."""

from __future__ import annotations

from pydantic import Field

from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.fields import MAX_TEXT
from ironworks.region.api.operations import Form, Handler
from ironworks.region.services.networking import spaces as svc
from ironworks.region.services.networking.lookups import get_space

spaces = Handler("SpacesHandler", "spaces/", "Manage spaces.")
space = Handler("SpaceHandler", "spaces/{id}/", "Manage a space.")


@space.lookup
async def find_space(call: Call) -> dict:
    return await get_space(call.conn, call.path["id"])


class SpaceForm(Form):
    name: str = Field(default="", max_length=256, description="Name of the space (default: space-<id>).")
    description: str = Field(default="", max_length=MAX_TEXT, description="Description of the space.")


async def _spaces(call: Call, space_id: int | None = None) -> list[dict]:
    rows, vlans_of, subnets_of, vlans = await svc.list_spaces(call.conn, space_id)
    return [render.space(row, [render.vlan_in(v, vlans) for v in vlans_of[row["id"]]],
                         [render.subnet_in(s, vlans) for s in subnets_of[row["id"]]]) for row in rows]


@spaces.action("read")
async def list_spaces(call: Call) -> list[dict]:
    """List all spaces, with their VLANs and subnets."""
    return await _spaces(call)


@spaces.action("create", form=SpaceForm, admin=True)
async def create_space(call: Call, form: SpaceForm) -> dict:
    """Create a space."""
    return (await _spaces(call, await svc.create_space(call.conn, form.model_dump(exclude_unset=True))))[0]


@space.action("read")
async def read_space(call: Call) -> dict:
    """Read a space (by id or name)."""
    found = await find_space(call)
    return (await _spaces(call, found["id"]))[0]


@space.action("update", form=SpaceForm, admin=True)
async def update_space(call: Call, form: SpaceForm) -> dict:
    """Update a space; only the fields given change."""
    found = await find_space(call)
    await svc.update_space(call.conn, found, form.model_dump(exclude_unset=True))
    return (await _spaces(call, found["id"]))[0]


@space.action("delete", admin=True)
async def delete_space(call: Call) -> None:
    """Delete a space; its VLANs are left without a space ("undefined")."""
    await svc.delete_space(call.conn, await find_space(call))
