"""Subnets: `subnets/` and `subnets/{id}/`, where the id may also be the CIDR or the name."""

from __future__ import annotations

from pydantic import Field

from ironworks.db import tables as t
from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.fields import (
    CIDR,
    MAX_TEXT,
    Bool,
    Clearable,
    DNSServers,
    OptionalIP,
)
from ironworks.region.api.operations import Form, Handler
from ironworks.region.services.networking import subnets as svc
from ironworks.region.services.networking.lookups import find_subnet, load_subnets

subnets = Handler("SubnetsHandler", "subnets/", "Manage subnets.")
subnet = Handler("SubnetHandler", "subnets/{id}/", "Manage a subnet, by id, CIDR or name.")
# `maas admin subnet read 10.0.0.0/24` puts the CIDR's slash into the path: this route takes it.
subnet_by_cidr = Handler("SubnetByCidrHandler", "subnets/{network}/{prefixlen}/",
                         "Manage a subnet named by its CIDR (network/prefix length).")


@subnet.lookup
@subnet_by_cidr.lookup
async def find_one_subnet(call: Call) -> tuple[dict, dict[int, dict]]:
    return await find_subnet(call.conn, _ref(call))


class SubnetFields(Form):
    name: str = Field(default="", max_length=255, description="Name of the subnet (default: its CIDR).")
    description: str = Field(default="", max_length=MAX_TEXT, description="Description of the subnet.")
    vlan: Clearable = Field(default=None, description="Database id of the VLAN the subnet is on.")
    fabric: Clearable = Field(default=None, description="Fabric (id or name) of the VLAN, with vid, "
                                                        "when vlan is not given.")
    vid: int = Field(default=0, ge=0, le=4094, description="VLAN id (802.1Q tag) on fabric, when vlan "
                                                           "is not given.")
    gateway_ip: OptionalIP = Field(default=None, description="Gateway address, inside the subnet; "
                                                             "empty clears it.")
    dns_servers: DNSServers = Field(default_factory=list, description="DNS servers for the subnet, "
                                                                      "comma or space separated.")
    rdns_mode: int = Field(default=2, ge=0, le=2, description="Reverse DNS: 0 disabled, 1 enabled, "
                                                              "2 RFC2317 (default).")
    allow_dns: Bool = Field(default=True, description="Whether MAAS DNS resolution is offered here.")
    allow_proxy: Bool = Field(default=True, description="Whether the MAAS proxy allows this subnet.")
    active_discovery: Bool = Field(default=False, description="Whether to actively discover neighbours.")
    managed: Bool = Field(default=True, description="Whether MAAS manages the subnet's addresses.")


class SubnetCreate(SubnetFields):
    cidr: CIDR = Field(description="The network, e.g. 10.0.0.0/24 or 2001:db8::/64.")


class SubnetUpdate(SubnetFields):
    cidr: CIDR = Field(default="", description="The network; ranges and allocated addresses must "
                                               "still fit in it.")


async def _render(call: Call, subnet_id: int) -> dict:
    rows, vlans = await load_subnets(call.conn, t.subnet.c.id == subnet_id)
    return render.subnet_in(rows[0], vlans)


def _ref(call: Call) -> str:
    if "network" in call.path:
        return f"{call.path['network']}/{call.path['prefixlen']}"
    return call.path["id"]


@subnets.action("read")
async def list_subnets(call: Call) -> list[dict]:
    """List all subnets."""
    rows, vlans = await load_subnets(call.conn, t.subnet.c.id.is_not(None))
    return [render.subnet_in(row, vlans) for row in rows]


@subnets.action("create", form=SubnetCreate, admin=True)
async def create_subnet(call: Call, form: SubnetCreate) -> dict:
    """Create a subnet.

    Without vlan (or fabric and vid) it goes on the default fabric's untagged VLAN.  Subnets
    may not overlap.
    """
    return await _render(call, await svc.create_subnet(call.conn, form.model_dump(exclude_unset=True)))


async def read_subnet(call: Call) -> dict:
    """Read a subnet."""
    row, vlans = await find_one_subnet(call)
    return render.subnet_in(row, vlans)


async def update_subnet(call: Call, form: SubnetUpdate) -> dict:
    """Update a subnet; only the fields given change."""
    row, _ = await find_one_subnet(call)
    await svc.update_subnet(call.conn, row, form.model_dump(exclude_unset=True))
    return await _render(call, row["id"])


async def delete_subnet(call: Call) -> None:
    """Delete a subnet and its IP ranges.

    Refused while nodes hold static addresses in it.
    """
    row, _ = await find_one_subnet(call)
    await svc.delete_subnet(call.conn, row)


for _handler in (subnet, subnet_by_cidr):
    _handler.action("read")(read_subnet)
    _handler.action("update", form=SubnetUpdate, admin=True)(update_subnet)
    _handler.action("delete", admin=True)(delete_subnet)
del _handler  # the collector picks Handlers out of module globals: no duplicates
