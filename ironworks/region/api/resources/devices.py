"""Devices (`devices/`, `devices/{system_id}/`): nodes MAAS knows of but does not manage.

Any user may create one and owns it; a non-administrator sees and changes only their own.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from sqlalchemy import Row
from starlette.responses import Response

from ironworks.region.api.body import Params
from ironworks.region.api.context import Call
from ironworks.region.api.dispatch import JSON_TYPE
from ironworks.region.api.errors import Forbidden
from ironworks.region.api.fields import MAC, MAX_TEXT, Hostname, blank_none
from ironworks.region.api.operations import Form, Handler
from ironworks.region.api.render_device import render_devices, render_devices_json
from ironworks.region.api.resources.machines import NodeRead, Ref
from ironworks.region.services.nodes import devices as svc
from ironworks.region.services.nodes import query as nodes

devices = Handler("DevicesHandler", "devices/", "Manage devices.")
device = Handler("DeviceHandler", "devices/{system_id}/", "Manage an individual device.")


@device.lookup
async def find_device(call: Call) -> Row:
    return await svc.get_device(call.conn, call.path["system_id"])


def check_may_use(call: Call, row: Row) -> None:
    """MAAS's node permissions: an administrator may do anything, a user only with their own."""
    if not call.is_admin and (call.user is None or row.owner_id != call.user.id):
        raise Forbidden("You do not have permission to use this device: it belongs to another user.")


class DeviceCreate(Form):
    mac_addresses: list[MAC] = Field(min_length=1, description="The MAC addresses of the device's "
                                     "network interfaces (repeat for each, at least one).")
    hostname: Annotated[Hostname | None, BeforeValidator(blank_none)] = Field(
        default=None, description="A hostname; if not given, a name such as crisp-hare is generated.")
    domain: Ref | None = Field(default=None, description="The domain (name or id); the default domain if not given.")
    parent: str | None = Field(default=None, description="The system_id of the node this device hangs off.")
    description: str | None = Field(default=None, max_length=MAX_TEXT, description="A description of the device.")
    zone: Ref | None = Field(default=None, description="The zone; 'default' if not given.")

    def edit(self) -> svc.DeviceEdit:
        return svc.DeviceEdit(hostname=self.hostname, domain=self.domain, zone=self.zone,
                              description=self.description, parent=self.parent)


class DeviceUpdate(Form):
    hostname: Hostname | None = Field(default=None, description="The new hostname.")
    domain: Ref | None = Field(default=None, description="The domain (name or id).")
    parent: str | None = Field(default=None, description="The system_id of the parent node (blank clears it).")
    description: str | None = Field(default=None, max_length=MAX_TEXT, description="The description.")
    zone: Ref | None = Field(default=None, description="The zone.")

    def edit(self) -> svc.DeviceEdit:
        return svc.DeviceEdit(**{name: getattr(self, name) for name in self.model_fields_set})


class OwnerData(Form):
    owner_data: dict[str, str] = Field(default_factory=dict, description=(
        "Give each key as its own parameter, key=value; an empty value removes the key."))

    @classmethod
    def extra_params(cls, params: Params) -> dict[str, Any]:
        return {"owner_data": {k: v for k, v in params.items if k != "op"}}


def visible_filter(call: Call, form: NodeRead) -> nodes.NodeFilter:
    f = form.node_filter()
    if not call.is_admin and call.user is not None:
        f.visible_to = call.user.id
    return f


async def _render(call: Call, system_id: str) -> dict:
    data = await nodes.read_node(call.conn, system_id, svc.DEVICE_TYPES, svc.MODEL, extra=nodes.DEVICE_COLUMNS)
    return render_devices(data)[0]


async def _mine(call: Call) -> Row:
    row = await find_device(call)
    check_may_use(call, row)
    return row


@devices.action("read", form=NodeRead)
async def list_devices(call: Call, form: NodeRead) -> Response:
    """List devices (filters as for machines).

    A non-administrator sees only their own devices.
    """
    data = await nodes.fetch_nodes(call.conn, svc.DEVICE_TYPES, visible_filter(call, form), extra=nodes.DEVICE_COLUMNS)
    return Response(render_devices_json(data), media_type=JSON_TYPE)


@devices.action("create", form=DeviceCreate)
async def create_device(call: Call, form: DeviceCreate) -> dict:
    """Create a new device, owned by the user creating it.

    It gets one physical interface per MAC address.
    """
    assert call.user is not None
    system_id = await svc.create_device(call.conn, call.user.id, form.edit(), form.mac_addresses)
    return await _render(call, system_id)


@device.action("read")
async def read_device(call: Call) -> dict:
    """Read a device."""
    row = await _mine(call)
    return await _render(call, row.system_id)


@device.action("update", form=DeviceUpdate)
async def update_device(call: Call, form: DeviceUpdate) -> dict:
    """Update a device.

    Only the given fields change.
    """
    row = await _mine(call)
    await svc.update_device(call.conn, row.system_id, form.edit())
    return await _render(call, row.system_id)


@device.action("delete")
async def delete_device(call: Call) -> None:
    """Delete a device."""
    row = await _mine(call)
    await svc.delete_device(call.conn, row.system_id)


@device.action("set_owner_data", form=OwnerData)
async def set_owner_data(call: Call, form: OwnerData) -> dict:
    """Set key/value data on the device.

    Each key=value parameter sets a key; an empty value removes it.
    """
    row = await _mine(call)
    await svc.set_owner_data(call.conn, row.system_id, form.owner_data)
    return await _render(call, row.system_id)
