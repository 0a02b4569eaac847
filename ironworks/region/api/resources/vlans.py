"""VLANs: `fabrics/{fabric_id}/vlans/`, `fabrics/{fabric_id}/vlans/{vid}/` (vid = the 802.1Q tag)
and `vlans/{vlan_id}/` (the database id, which a VLAN's resource_uri uses)."""

from __future__ import annotations

from pydantic import Field

from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.fields import MAX_TEXT, Bool, Clearable
from ironworks.region.api.operations import Form, Handler
from ironworks.region.services.networking import vlans as svc
from ironworks.region.services.networking.lookups import (
    Vlans,
    get_fabric,
    load_vlans,
    vlan_by_id,
    vlan_by_vid,
)

vlans = Handler("VlansHandler", "fabrics/{fabric_id}/vlans/", "Manage the VLANs of a fabric.")
vlan = Handler("VlanHandler", "fabrics/{fabric_id}/vlans/{vid}/",
               "Manage a VLAN of a fabric, by its VLAN id (802.1Q tag; 0 is untagged).")
# Same object by database id: the form VLAN resource_uris take.  libmaas ignores this name.
vlan_by_db_id = Handler("VlanByIdHandler", "vlans/{vlan_id}/", "Manage a VLAN by its database id.")


@vlans.lookup
async def find_fabric(call: Call) -> dict:
    return await get_fabric(call.conn, call.path["fabric_id"])


@vlan.lookup
@vlan_by_db_id.lookup
async def find_vlan(call: Call) -> Vlans:
    if "vlan_id" in call.path:
        return await vlan_by_id(call.conn, call.path["vlan_id"])
    return await vlan_by_vid(call.conn, call.path["fabric_id"], call.path["vid"])


_VID = "VLAN id (802.1Q tag), 0-4094."
_MTU = "MTU of the VLAN, 552-65535 (default 1500)."
_SPACE = "Space of the VLAN, by name or id; empty clears it."


class VlanCreate(Form):
    vid: int = Field(ge=0, le=4094, description=_VID)
    name: str = Field(default="", max_length=256, description="Name of the VLAN.")
    description: str = Field(default="", max_length=MAX_TEXT, description="Description of the VLAN.")
    mtu: int = Field(default=1500, ge=552, le=65535, description=_MTU)
    space: Clearable = Field(default=None, description=_SPACE)
    dhcp_on: Bool = Field(default=False, description="Whether DHCP is on (a new VLAN cannot serve DHCP yet).")


class VlanUpdate(Form):
    name: str = Field(default="", max_length=256, description="Name of the VLAN; empty for the default.")
    description: str = Field(default="", max_length=MAX_TEXT, description="Description of the VLAN.")
    mtu: int = Field(default=1500, ge=552, le=65535, description=_MTU)
    vid: int = Field(default=0, ge=0, le=4094, description="New VLAN id (802.1Q tag), unique in the fabric.")
    dhcp_on: Bool = Field(default=False, description="Whether MAAS serves DHCP on this VLAN (needs a primary "
                                                     "rack and a dynamic IP range).")
    primary_rack: Clearable = Field(default=None, description="system_id of the primary rack controller "
                                                              "for DHCP; empty clears it.")
    secondary_rack: Clearable = Field(default=None, description="system_id of the secondary rack controller "
                                                                "for DHCP; empty clears it.")
    relay_vlan: Clearable = Field(default=None, description="Database id of the VLAN that DHCP requests are "
                                                            "relayed to; empty clears it.")
    space: Clearable = Field(default=None, description=_SPACE)


def _one(loaded: Vlans) -> dict:
    return render.vlan_in(loaded.rows[0], loaded.by_id)


async def _by_id(call: Call, vlan_id: int) -> dict:
    return _one(await load_vlans(call.conn, lambda v: v.c.id == vlan_id))


@vlans.action("read")
async def list_vlans(call: Call) -> list[dict]:
    """List the VLANs of a fabric."""
    found = await find_fabric(call)
    loaded = await load_vlans(call.conn, lambda v: v.c.fabric_id == found["id"])
    return [render.vlan_in(row, loaded.by_id) for row in loaded.rows]


@vlans.action("create", form=VlanCreate, admin=True)
async def create_vlan(call: Call, form: VlanCreate) -> dict:
    """Create a VLAN on a fabric."""
    found = await find_fabric(call)
    return await _by_id(call, await svc.create_vlan(call.conn, found, form.model_dump(exclude_unset=True)))


async def read_vlan(call: Call) -> dict:
    """Read a VLAN."""
    return _one(await find_vlan(call))


async def update_vlan(call: Call, form: VlanUpdate) -> dict:
    """Update a VLAN; only the fields given change.

    DHCP (dhcp_on=true) needs a primary rack controller and a dynamic IP range on one of the
    VLAN's subnets; racks must have an interface on the VLAN.  Clearing the primary promotes
    the secondary.
    """
    row = (await find_vlan(call)).rows[0]
    await svc.update_vlan(call.conn, row, form.model_dump(exclude_unset=True))
    return await _by_id(call, row["id"])


async def delete_vlan(call: Call) -> None:
    """Delete a VLAN (not the untagged one, nor one with subnets or interfaces)."""
    await svc.delete_vlan(call.conn, (await find_vlan(call)).rows[0])


for _handler in (vlan, vlan_by_db_id):
    _handler.action("read")(read_vlan)
    _handler.action("update", form=VlanUpdate, admin=True)(update_vlan)
    _handler.action("delete", admin=True)(delete_vlan)
del _handler  # the collector picks Handlers out of module globals: no duplicates
