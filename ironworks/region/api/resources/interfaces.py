"""A node's interfaces (`nodes/{system_id}/interfaces/`, `.../interfaces/{id}/`): physical, VLAN,
bond and bridge interfaces and their links to subnets, for machines and controllers."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from ironworks.region.api.context import Call
from ironworks.region.api.fields import MAC, Bool, Clearable, IPAddress
from ironworks.region.api.operations import Form, Handler
from ironworks.region.api.render_node import render_one
from ironworks.region.services.nodes import interfaces as svc
from ironworks.region.services.nodes import query as nodes
from ironworks.region.services.nodes.interface_rules import BOND_MODES, LINK_MODES

interfaces = Handler("InterfacesHandler", "nodes/{system_id}/interfaces/", "Manage interfaces on a node.")
interface = Handler("InterfaceHandler", "nodes/{system_id}/interfaces/{id}/", "Manage a node's or device's interface.")


def _name(value: str) -> str:
    if not re.fullmatch(r"[^\s/:]{1,15}", value):
        raise ValueError(f"'{value[:40]}' is not a valid interface name: 1 to 15 characters, "
                         "no spaces, slashes or colons.")
    return value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


Name = Annotated[str, AfterValidator(_name)]
MTU = Annotated[int, Field(ge=552, le=65535)]
Mode = Annotated[Literal[LINK_MODES], BeforeValidator(_upper)]  # type: ignore[valid-type]


class _Common(Form):
    vlan: Clearable = Field(default=None, description="Id of the VLAN the interface is connected to.")
    mtu: MTU | None = Field(default=None, description="Maximum transmission unit.")


class PhysicalCreate(_Common):
    name: Name | None = Field(default=None, description="Name of the interface; by default the next free ethN.")
    mac_address: MAC = Field(description="MAC address of the interface.")


class VLANCreate(Form):
    vlan: str = Field(description="Id of the tagged VLAN the interface is on.")
    parent: str = Field(description="The parent interface (id or name), on the VLAN's fabric.")
    mtu: MTU | None = Field(default=None, description="Maximum transmission unit.")


class BondCreate(_Common):
    name: Name = Field(description="Name of the bond.")
    parents: list[str] = Field(default_factory=list, description="Physical interfaces (id or name) to bond (repeatable).")
    mac_address: MAC | None = Field(default=None, description="MAC address; by default the first parent's.")
    bond_mode: Literal[BOND_MODES] = Field(default="balance-rr", description="Bonding mode.")  # type: ignore[valid-type]
    bond_miimon: Annotated[int, Field(ge=0, le=65535)] | None = Field(default=None, description="Link monitoring frequency (ms).")
    bond_downdelay: Annotated[int, Field(ge=0, le=65535)] | None = Field(default=None, description="Delay before disabling a failed member (ms).")
    bond_updelay: Annotated[int, Field(ge=0, le=65535)] | None = Field(default=None, description="Delay before enabling a recovered member (ms).")
    bond_lacp_rate: Literal["fast", "slow"] | None = Field(default=None, description="LACPDU rate in 802.3ad mode.")
    bond_xmit_hash_policy: Literal["layer2", "layer2+3", "layer3+4", "encap2+3", "encap3+4"] | None = Field(
        default=None, description="Transmit hash policy.")


class BridgeCreate(_Common):
    name: Name = Field(description="Name of the bridge.")
    parent: str = Field(description="The interface (id or name) the bridge sits on.")
    mac_address: MAC | None = Field(default=None, description="MAC address; by default the parent's.")
    bridge_type: Literal["standard", "ovs"] = Field(default="standard", description="standard or ovs.")
    bridge_stp: Bool | None = Field(default=None, description="Turn spanning tree on.")
    bridge_fd: Annotated[int, Field(ge=0, le=65535)] | None = Field(default=None, description="Forward delay (s).")


class InterfaceUpdate(_Common):
    name: Name | None = Field(default=None, description="Name of the interface.")
    mac_address: MAC | None = Field(default=None, description="MAC address of the interface.")
    enabled: Bool | None = Field(default=None, description="Whether the interface is enabled.")


class LinkSubnet(Form):
    mode: Mode = Field(description="AUTO, DHCP, STATIC or LINK_UP.")
    subnet: Clearable = Field(default=None, description="Subnet (id, CIDR or name); required for AUTO and STATIC.")
    ip_address: IPAddress | None = Field(default=None, description="STATIC only: the address; by default "
                                                                   "the subnet's first free one.")
    default_gateway: Bool = Field(default=False, description="AUTO and STATIC only: make the subnet's gateway "
                                                             "the node's default for its IP family.")


LinkId = Annotated[int, Field(ge=0, le=2**31 - 1)]


class UnlinkSubnet(Form):
    id: LinkId = Field(description="Id of the link to remove.")


class SetDefaultGateway(Form):
    link_id: LinkId | None = Field(default=None, description="Id of the link whose subnet's gateway to use; "
                                                            "required when the interface has more than one "
                                                            "gateway of the same IP family.")


@interfaces.lookup
async def _node(call: Call) -> dict:
    return await svc.get_node(call.conn, call.path["system_id"])


@interface.lookup
async def find_interface(call: Call) -> tuple[dict, dict]:
    node = await _node(call)
    return node, await svc.get_interface(call.conn, node, call.path["id"])


async def _rendered(call: Call, system_id: str) -> list[dict]:
    data = await nodes.read_node(call.conn, system_id, svc.ALL_NODE_TYPES, "Node")
    return list(render_one(data, "nodes")["interface_set"])


async def _one(call: Call, node: dict, iface_id: int) -> dict:
    return next(i for i in await _rendered(call, node["system_id"]) if i["id"] == iface_id)


@interfaces.action("read")
async def list_interfaces(call: Call) -> list[dict]:
    """List the node's interfaces."""
    return await _rendered(call, (await _node(call))["system_id"])


async def _create(call: Call, kind: str, form: Form) -> dict:
    node = await _node(call)
    return await _one(call, node, await svc.create(call.conn, node, kind, form.model_dump()))


@interfaces.action("create_physical", form=PhysicalCreate, admin=True)
async def create_physical(call: Call, form: PhysicalCreate) -> dict:
    """Create a physical interface; its MAC address must be unused by any other physical interface."""
    return await _create(call, "physical", form)


@interfaces.action("create_vlan", form=VLANCreate, admin=True)
async def create_vlan(call: Call, form: VLANCreate) -> dict:
    """Create a VLAN interface on a parent, for a tagged VLAN of the parent's fabric."""
    return await _create(call, "vlan", form)


@interfaces.action("create_bond", form=BondCreate, admin=True)
async def create_bond(call: Call, form: BondCreate) -> dict:
    """Create a bond of physical interfaces of the node that are in no other bond or bridge."""
    return await _create(call, "bond", form)


@interfaces.action("create_bridge", form=BridgeCreate, admin=True)
async def create_bridge(call: Call, form: BridgeCreate) -> dict:
    """Create a bridge on one interface of the node."""
    return await _create(call, "bridge", form)


@interface.action("read")
async def read_interface(call: Call) -> dict:
    """Read an interface."""
    node, iface = await find_interface(call)
    return await _one(call, node, iface["id"])


@interface.action("update", form=InterfaceUpdate, admin=True)
async def update_interface(call: Call, form: InterfaceUpdate) -> dict:
    """Update an interface; only the fields given change.  A new VLAN drops its links."""
    node, iface = await find_interface(call)
    await svc.update_interface(call.conn, node, iface, form.model_dump(exclude_unset=True))
    return await _one(call, node, iface["id"])


@interface.action("delete", admin=True)
async def delete_interface(call: Call) -> None:
    """Delete an interface (its VLAN interfaces, bonds and bridges first)."""
    node, iface = await find_interface(call)
    await svc.delete_interface(call.conn, node, iface)


@interface.action("link_subnet", form=LinkSubnet, admin=True)
async def link_subnet(call: Call, form: LinkSubnet) -> dict:
    """Link the interface to a subnet.

    AUTO: an address is assigned at deployment; DHCP: the interface asks DHCP; STATIC: the
    given ip_address (in the subnet, free and outside dynamic ranges) or the first free one;
    LINK_UP: the interface is brought up without an address.
    """
    node, iface = await find_interface(call)
    await svc.link_subnet(call.conn, node, iface, form.model_dump())
    return await _one(call, node, iface["id"])


@interface.action("unlink_subnet", form=UnlinkSubnet, admin=True)
async def unlink_subnet(call: Call, form: UnlinkSubnet) -> dict:
    """Remove a link (and its address) from the interface."""
    node, iface = await find_interface(call)
    await svc.unlink_subnet(call.conn, node, iface, form.id)
    return await _one(call, node, iface["id"])


@interface.action("set_default_gateway", form=SetDefaultGateway, admin=True)
async def set_default_gateway(call: Call, form: SetDefaultGateway) -> dict:
    """Make the node use this interface's gateway by default.

    The gateway is that of a subnet the interface is linked to; IPv4 and IPv6 are chosen
    separately.  Answers 400 when the interface has no link on a subnet with a gateway, or
    when link_id does not name one (link_id is needed when there are several of one family).
    """
    node, iface = await find_interface(call)
    await svc.set_default_gateway(call.conn, node, iface, form.link_id)
    return await _one(call, node, iface["id"])


@interface.action("disconnect", admin=True)
async def disconnect(call: Call) -> dict:
    """Disconnect the interface: drop its links and addresses and take it off its VLAN."""
    node, iface = await find_interface(call)
    await svc.disconnect(call.conn, node, iface)
    return await _one(call, node, iface["id"])
