"""Fabrics (`fabrics/`, `fabrics/{id}/`): each lists its VLANs."""

from __future__ import annotations

from pydantic import Field

from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.fields import MAX_TEXT, Clearable
from ironworks.region.api.operations import Form, Handler
from ironworks.region.services.networking import fabrics as svc
from ironworks.region.services.networking.lookups import get_fabric

fabrics = Handler("FabricsHandler", "fabrics/", "Manage fabrics.")
fabric = Handler("FabricHandler", "fabrics/{id}/", "Manage a fabric.")


@fabric.lookup
async def find_fabric(call: Call) -> dict:
    return await get_fabric(call.conn, call.path["id"])


class FabricForm(Form):
    name: str = Field(default="", max_length=256, description="Name of the fabric (default: fabric-<id>).")
    description: str = Field(default="", max_length=MAX_TEXT, description="Description of the fabric.")
    class_type: Clearable = Field(default=None, max_length=256, description="Class type of the fabric (empty clears).")


async def _fabrics(call: Call, fabric_id: int | None = None) -> list[dict]:
    rows, vlans_of, vlans = await svc.list_fabrics(call.conn, fabric_id)
    return [render.fabric(row, [render.vlan_in(v, vlans) for v in vlans_of[row["id"]]]) for row in rows]


@fabrics.action("read")
async def list_fabrics(call: Call) -> list[dict]:
    """List all fabrics, with their VLANs."""
    return await _fabrics(call)


@fabrics.action("create", form=FabricForm, admin=True)
async def create_fabric(call: Call, form: FabricForm) -> dict:
    """Create a fabric.

    The new fabric comes with its untagged VLAN (vid 0).
    """
    return (await _fabrics(call, await svc.create_fabric(call.conn, form.model_dump(exclude_unset=True))))[0]


@fabric.action("read")
async def read_fabric(call: Call) -> dict:
    """Read a fabric."""
    return (await _fabrics(call, (await find_fabric(call))["id"]))[0]


@fabric.action("update", form=FabricForm, admin=True)
async def update_fabric(call: Call, form: FabricForm) -> dict:
    """Update a fabric; only the fields given change."""
    found = await find_fabric(call)
    await svc.update_fabric(call.conn, found, form.model_dump(exclude_unset=True))
    return (await _fabrics(call, found["id"]))[0]


@fabric.action("delete", admin=True)
async def delete_fabric(call: Call) -> None:
    """Delete a fabric and its VLANs.

    The default fabric (0) and fabrics whose VLANs carry subnets or interfaces stay.
    """
    await svc.delete_fabric(call.conn, await find_fabric(call))
