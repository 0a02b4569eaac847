"""Interface rules as pure functions over plain rows: names, MACs, what a VLAN, bond or bridge
may sit on, which machines may be edited, and what a subnet link may be."""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ironworks.common.errors import Conflict, InvalidInput
from ironworks.common.nodetypes import NodeStatus, NodeType

Row = Mapping[str, object]
# A machine's interfaces change only while nobody is using it (MAAS's rule).
EDITABLE_STATUSES = (NodeStatus.READY, NodeStatus.ALLOCATED, NodeStatus.BROKEN, NodeStatus.FAILED_TESTING)
BOND_MODES = ("balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb")
LINK_MODES = ("AUTO", "DHCP", "STATIC", "LINK_UP")


def check_editable(node_type: int, status: int, action: str) -> None:
    if node_type == NodeType.MACHINE and status not in EDITABLE_STATUSES:
        raise Conflict(f"Cannot {action} interface because the machine is not Ready, Allocated, or Broken.")


def check_name_free(name: str, hostname: str, taken: Iterable[str]) -> None:
    if name in taken:
        raise InvalidInput.field("name", f"Node {hostname} already has an interface named '{name}'.")


def check_mac_free(mac: str, holder: str | None) -> None:
    if holder is not None:
        raise InvalidInput.field("mac_address", f"MAC address {mac} is already in use by {holder}.")


def check_vlan_parent(parent: Row, parent_vlan: Row | None, vlan: Row, siblings: Iterable[Row]) -> None:
    """A VLAN interface: on one connected, non-VLAN parent, for a tagged VLAN of the parent's
    fabric, and only one per VLAN on that parent."""
    if parent["type"] == "vlan":
        raise InvalidInput.field("parent", f"A VLAN interface cannot sit on another VLAN interface ({parent['name']}).")
    if parent_vlan is None:
        raise InvalidInput.field("parent", f"Parent interface {parent['name']} is disconnected; set its VLAN first.")
    if vlan["vid"] == 0:
        raise InvalidInput.field("vlan", "A VLAN interface can only belong to a tagged VLAN.")
    if vlan["fabric_id"] != parent_vlan["fabric_id"]:
        raise InvalidInput.field("vlan", f"A VLAN interface can only belong to a VLAN on the same fabric as its "
                                         f"parent: {parent['name']} is on fabric {parent_vlan['fabric_name']}, "
                                         f"VLAN {vlan['vid']} on fabric {vlan['fabric_name']}.")
    for sibling in siblings:
        if sibling["type"] == "vlan" and sibling["vlan_id"] == vlan["id"]:
            raise InvalidInput.field("vlan", f"Interface {parent['name']} already has VLAN interface "
                                             f"{sibling['name']} for VLAN {vlan['vid']}.")


def check_members(kind: str, parents: Sequence[Row], enslaved: Mapping[int, str]) -> None:
    """Bond members: physical interfaces of the node, none already in a bond or bridge; a
    bridge: exactly one such parent (any type but another bridge's member)."""
    if not parents:
        raise InvalidInput.field("parents", f"A {kind} needs at least one parent interface.")
    if kind == "bridge" and len(parents) != 1:
        raise InvalidInput.field("parents", "A bridge has exactly one parent interface.")
    for p in parents:
        if kind == "bond" and p["type"] != "physical":
            raise InvalidInput.field("parents", f"Only physical interfaces can be bonded; {p['name']} is a {p['type']}.")
        if p["id"] in enslaved:
            raise InvalidInput.field("parents", f"Interface {p['name']} is already in {enslaved[p['id']]}.")


def check_link(mode: str, subnet: Row | None, ip_address: str | None, iface: Row, links: Iterable[Row]) -> None:
    """A new link: AUTO and STATIC need a subnet on the interface's VLAN; only STATIC takes an
    address; LINK_UP only on an interface without links; one AUTO/DHCP link per subnet."""
    if iface["vlan_id"] is None:
        raise InvalidInput.field("mode", f"Interface {iface['name']} is disconnected; set its VLAN first.")
    if mode in ("AUTO", "STATIC") and subnet is None:
        raise InvalidInput.field("subnet", "This field is required.")
    if ip_address is not None and mode != "STATIC":
        raise InvalidInput.field("ip_address", "Only STATIC links take an ip_address.")
    if subnet is not None and subnet["vlan_id"] != iface["vlan_id"]:
        raise InvalidInput.field("subnet", f"Subnet {subnet['cidr']} is not on the VLAN of interface "
                                           f"{iface['name']}; move the interface to the subnet's VLAN first.")
    existing = [link for link in links if link["alloc_type"] != "link_up"]
    if mode == "LINK_UP" and existing:
        raise InvalidInput.field("mode", f"Interface {iface['name']} already has links; unlink them first.")
    if mode in ("AUTO", "DHCP") and any(link["subnet_id"] == (subnet or {}).get("id") and
                                        link["alloc_type"] == mode.lower() for link in existing):
        raise InvalidInput.field("subnet", f"Interface {iface['name']} already has {'an' if mode == 'AUTO' else 'a'} {mode} "
                                           "link to this subnet.")


def check_gateway_link(mode: str, subnet: Row | None) -> None:
    """`link_subnet` with default_gateway: only an AUTO or STATIC link on a subnet with a gateway."""
    if mode not in ("AUTO", "STATIC"):
        raise InvalidInput.field("default_gateway", f"Cannot use in mode '{mode}': only AUTO and STATIC links "
                                                    "give a default gateway.")
    if subnet is None or not subnet["gateway_ip"]:
        raise InvalidInput.field("default_gateway", "Subnet has no gateway_ip; it cannot be the default gateway.")


def ip_family(address: object) -> int:
    """4 or 6 for an address (text or ipaddress object)."""
    return 6 if ":" in str(address) else 4


def choose_default_gateways(iface_name: str, links: Sequence[Row], link_id: int | None) -> dict[int, int]:
    """`set_default_gateway`: address family -> the link whose subnet's gateway the node will use.
    `links` are the interface's links on a subnet with a gateway (each with `id` and
    `gateway_ip`).  Without `link_id`, one link per family may carry a gateway; with it, only
    that link's family changes."""
    if not links:
        raise InvalidInput.whole(f"Interface {iface_name} has no usable gateways: link it to a subnet "
                                 "that has a gateway_ip first.")
    if link_id is not None:
        for link in links:
            if link["id"] == link_id:
                return {ip_family(link["gateway_ip"]): link_id}
        raise InvalidInput.field("link_id", f"Link {link_id} is not a link of interface {iface_name} on a "
                                            "subnet with a gateway.")
    chosen: dict[int, int] = {}
    for link in links:
        family = ip_family(link["gateway_ip"])
        if family in chosen:
            raise InvalidInput.field("link_id", f"Interface {iface_name} has more than one IPv{family} gateway; "
                                                "give the link_id of the one to use.")
        chosen[family] = link["id"]
    return chosen


def effective_gateway(family: int, chosen_link: int | None, links: Iterable[tuple[int, object]]) -> object | None:
    """The gateway a node routes `family` through: the chosen link's subnet gateway while that
    link exists, else the first link (boot interface first) on a subnet with a gateway of that
    family.  `links` are (link id, gateway) pairs in interface order."""
    fallback = None
    for link, gateway in links:
        if ip_family(gateway) != family:
            continue
        if link == chosen_link:
            return gateway
        if fallback is None:
            fallback = gateway
    return fallback
