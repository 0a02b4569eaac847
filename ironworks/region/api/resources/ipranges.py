"""IP ranges (`ipranges/`, `ipranges/{id}/`): dynamic (DHCP pools) and reserved ranges."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ironworks.db import tables as t
from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.fields import MAX_COMMENT, Clearable, IPAddress
from ironworks.region.api.operations import Form, Handler
from ironworks.region.services.networking import ipranges as svc

ipranges = Handler("IPRangesHandler", "ipranges/", "Manage IP ranges.")
iprange = Handler("IPRangeHandler", "ipranges/{id}/", "Manage an IP range.")


@iprange.lookup
async def find_range(call: Call) -> dict:
    return await svc.get_range(call.conn, call.path["id"])


class IPRangeCreate(Form):
    type: Literal["dynamic", "reserved"] = Field(description="dynamic (a DHCP pool) or reserved.")
    start_ip: IPAddress = Field(description="First address of the range.")
    end_ip: IPAddress = Field(description="Last address of the range.")
    subnet: Clearable = Field(default=None, description="Subnet (id, CIDR or name); by default the "
                                                        "subnet that contains start_ip.")
    comment: str = Field(default="", max_length=MAX_COMMENT, description="What the range is for.")


class IPRangeUpdate(Form):
    start_ip: IPAddress = Field(default="", description="First address of the range.")
    end_ip: IPAddress = Field(default="", description="Last address of the range.")
    comment: str = Field(default="", max_length=MAX_COMMENT, description="What the range is for.")


async def _ranges(call: Call, range_id: int | None = None) -> list[dict]:
    where = t.iprange.c.id == range_id if range_id is not None else None
    rows, subnets, vlans = await svc.list_ranges(call.conn, where)
    return [render.iprange(row, render.subnet_in(subnets[row["subnet_id"]], vlans),
                           render.user(row["user"]) if row["user"] else None) for row in rows]


@ipranges.action("read")
async def list_ranges(call: Call) -> list[dict]:
    """List all IP ranges."""
    return await _ranges(call)


@ipranges.action("create", form=IPRangeCreate, admin=True)
async def create_range(call: Call, form: IPRangeCreate) -> dict:
    """Create an IP range.

    Dynamic ranges may not overlap other ranges or allocated addresses; reserved ranges may not
    overlap other ranges.
    """
    new_id = await svc.create_range(call.conn, call.user.id, form.model_dump(exclude_unset=True))
    return (await _ranges(call, new_id))[0]


@iprange.action("read")
async def read_range(call: Call) -> dict:
    """Read an IP range."""
    return (await _ranges(call, (await find_range(call))["id"]))[0]


@iprange.action("update", form=IPRangeUpdate, admin=True)
async def update_range(call: Call, form: IPRangeUpdate) -> dict:
    """Update an IP range; only the fields given change."""
    row = await find_range(call)
    await svc.update_range(call.conn, row, form.model_dump(exclude_unset=True))
    return (await _ranges(call, row["id"]))[0]


@iprange.action("delete", admin=True)
async def delete_range(call: Call) -> None:
    """Delete an IP range.

    The last dynamic range of a VLAN that serves DHCP stays until DHCP is turned off.
    """
    await svc.delete_range(call.conn, await find_range(call))
