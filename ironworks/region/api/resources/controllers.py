"""Rack and region controllers (`rackcontrollers/`, `regioncontrollers/`).

Controllers register themselves (racks over the rack channel, regions at start-up); the API
reads, edits and deletes them.  Their JSON adds `service_set` from the service table.
"""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import Row
from starlette.responses import Response

from ironworks.common.nodetypes import RACK_TYPES, REGION_TYPES
from ironworks.region.api.context import Call
from ironworks.region.api.dispatch import JSON_TYPE
from ironworks.region.api.fields import MAX_TEXT, Bool
from ironworks.region.api.operations import Form, Handler
from ironworks.region.api.render_node import render_nodes_json, render_one
from ironworks.region.api.resources.machines import NodeRead, PowerFields, Ref
from ironworks.region.services.controllers import rack_links
from ironworks.region.services.controllers import removal as svc
from ironworks.region.services.nodes import edit as node_edit
from ironworks.region.services.nodes import query as nodes

racks = Handler("RackControllersHandler", "rackcontrollers/", "Manage the rack controllers of this MAAS.")
rack = Handler("RackControllerHandler", "rackcontrollers/{system_id}/", "Manage an individual rack controller.")
regions = Handler("RegionControllersHandler", "regioncontrollers/", "Manage the region controllers of this MAAS.")
region = Handler("RegionControllerHandler", "regioncontrollers/{system_id}/",
                 "Manage an individual region controller.")


@rack.lookup
async def find_rack(call: Call) -> Row:
    return await nodes.get_node(call.conn, call.path["system_id"], RACK_TYPES, "RackController")


@region.lookup
async def find_region(call: Call) -> Row:
    return await nodes.get_node(call.conn, call.path["system_id"], REGION_TYPES, "RegionController")

RACK = (RACK_TYPES, "RackController", "rackcontrollers")
REGION = (REGION_TYPES, "RegionController", "regioncontrollers")


class ControllerUpdate(PowerFields):
    description: str | None = Field(default=None, max_length=MAX_TEXT, description="The description.")
    zone: Ref | None = Field(default=None, description="The zone.")
    domain: Ref | None = Field(default=None, description="The domain (name or id).")


class RackDelete(Form):
    force: Bool = Field(default=False, description="Delete even if DHCP would turn off on a VLAN that "
                                                   "only this rack controller serves.")


async def _list(call: Call, form: NodeRead, kind: tuple) -> Response:
    types, _, collection = kind
    data = await nodes.fetch_nodes(call.conn, types, form.node_filter(), services=True)
    return Response(render_nodes_json(data, collection), media_type=JSON_TYPE)


async def _read(call: Call, kind: tuple) -> dict:
    types, model, collection = kind
    data = await nodes.read_node(call.conn, call.path["system_id"], types, model, services=True)
    return render_one(data, collection)


async def _update(call: Call, form: ControllerUpdate, kind: tuple) -> dict:
    types, model, _ = kind
    await node_edit.update_node(call.conn, call.path["system_id"], types, model, form.edit(call))
    return await _read(call, kind)


@racks.action("read", form=NodeRead)
async def list_racks(call: Call, form: NodeRead) -> Response:
    """List rack controllers (filters as for machines)."""
    return await _list(call, form, RACK)


@rack.action("read")
async def read_rack(call: Call) -> dict:
    """Read a rack controller."""
    return await _read(call, RACK)


@rack.action("update", form=ControllerUpdate, admin=True)
async def update_rack(call: Call, form: ControllerUpdate) -> dict:
    """Update a rack controller."""
    return await _update(call, form, RACK)


@rack.action("delete", form=RackDelete, admin=True)
async def delete_rack(call: Call, form: RackDelete) -> None:
    """Delete a rack controller.

    Its DHCP roles move to other rack controllers on the same VLANs.  If a VLAN would be left
    without DHCP the delete is refused, unless force is given (DHCP then turns off there).
    A region+rack controller stays as a region controller.
    """
    await svc.delete_rack(call.conn, call.path["system_id"], form.force)


@rack.action("refresh", admin=True)
async def refresh_rack(call: Call) -> dict:
    """Ask the rack controller to report its interfaces and services again now.

    Whichever region holds its connection passes the request on; a rack that is not connected
    reports when it next connects."""
    found = await find_rack(call)
    await rack_links.wake(call.conn, found.system_id, "refresh")
    return await _read(call, RACK)


@regions.action("read", form=NodeRead)
async def list_regions(call: Call, form: NodeRead) -> Response:
    """List region controllers (filters as for machines)."""
    return await _list(call, form, REGION)


@region.action("read")
async def read_region(call: Call) -> dict:
    """Read a region controller."""
    return await _read(call, REGION)


@region.action("update", form=ControllerUpdate, admin=True)
async def update_region(call: Call, form: ControllerUpdate) -> dict:
    """Update a region controller."""
    return await _update(call, form, REGION)


@region.action("delete", admin=True)
async def delete_region(call: Call) -> None:
    """Delete a region controller.

    Refused while its maas-regiond is running.  A region+rack controller stays as a rack
    controller.
    """
    await svc.delete_region(call.conn, call.path["system_id"])
