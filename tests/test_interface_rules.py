"""The pure interface rules (`services/nodes/interface_rules.py`), each with its message: fast,
no region."""

from __future__ import annotations

import pytest

from ironworks.common.errors import Conflict, InvalidInput
from ironworks.common.nodetypes import NodeStatus, NodeType
from ironworks.region.services.nodes import interface_rules as rules


def refused(call, *args) -> dict[str, list[str]]:  # noqa: ANN001
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    return caught.value.errors


def iface(iface_id: int, name: str, kind: str = "physical", vlan_id: int | None = 1) -> dict:
    return {"id": iface_id, "name": name, "type": kind, "vlan_id": vlan_id}


def vlan(vlan_id: int, vid: int, fabric_id: int = 0, fabric_name: str = "fabric-0") -> dict:
    return {"id": vlan_id, "vid": vid, "fabric_id": fabric_id, "fabric_name": fabric_name}


@pytest.mark.parametrize("status", rules.EDITABLE_STATUSES)
def test_machines_are_edited_while_nobody_uses_them(status: int) -> None:
    rules.check_editable(NodeType.MACHINE, status, "create")


def test_machines_in_use_are_not_edited_but_controllers_are() -> None:
    with pytest.raises(Conflict, match="^Cannot delete interface because the machine is not Ready, Allocated, or Broken.$"):
        rules.check_editable(NodeType.MACHINE, NodeStatus.DEPLOYED, "delete")
    rules.check_editable(NodeType.REGION_CONTROLLER, NodeStatus.DEPLOYED, "delete")  # controllers: any time


def test_names_and_macs_are_unique() -> None:
    rules.check_name_free("eth2", "h1", ["eth0", "eth1"])
    assert refused(rules.check_name_free, "eth0", "h1", ["eth0"]) == {
        "name": ["Node h1 already has an interface named 'eth0'."]}
    rules.check_mac_free("52:54:00:00:00:01", None)
    assert refused(rules.check_mac_free, "52:54:00:00:00:01", "h2:eth0") == {
        "mac_address": ["MAC address 52:54:00:00:00:01 is already in use by h2:eth0."]}


def test_a_vlan_interface_sits_on_a_connected_non_vlan_parent_of_its_fabric() -> None:
    eth0, tagged = iface(1, "eth0"), vlan(7, 42)
    rules.check_vlan_parent(eth0, vlan(1, 0), tagged, [])
    assert refused(rules.check_vlan_parent, iface(2, "eth0.10", "vlan"), vlan(1, 0), tagged, []) == {
        "parent": ["A VLAN interface cannot sit on another VLAN interface (eth0.10)."]}
    assert refused(rules.check_vlan_parent, eth0, None, tagged, []) == {
        "parent": ["Parent interface eth0 is disconnected; set its VLAN first."]}
    assert refused(rules.check_vlan_parent, eth0, vlan(1, 0), vlan(1, 0), []) == {
        "vlan": ["A VLAN interface can only belong to a tagged VLAN."]}
    assert refused(rules.check_vlan_parent, eth0, vlan(1, 0), vlan(9, 43, 1, "fabric-1"), []) == {
        "vlan": ["A VLAN interface can only belong to a VLAN on the same fabric as its parent: eth0 is on "
                 "fabric fabric-0, VLAN 43 on fabric fabric-1."]}
    sibling = {**iface(3, "eth0.42", "vlan", 7)}
    assert refused(rules.check_vlan_parent, eth0, vlan(1, 0), tagged, [sibling]) == {
        "vlan": ["Interface eth0 already has VLAN interface eth0.42 for VLAN 42."]}


def test_bond_and_bridge_members() -> None:
    eth0, eth1 = iface(1, "eth0"), iface(2, "eth1")
    rules.check_members("bond", [eth0, eth1], {})
    rules.check_members("bridge", [iface(3, "bond0", "bond")], {})
    assert refused(rules.check_members, "bond", [], {}) == {
        "parents": ["A bond needs at least one parent interface."]}
    assert refused(rules.check_members, "bridge", [eth0, eth1], {}) == {
        "parents": ["A bridge has exactly one parent interface."]}
    assert refused(rules.check_members, "bond", [eth0, iface(4, "eth0.5", "vlan")], {}) == {
        "parents": ["Only physical interfaces can be bonded; eth0.5 is a vlan."]}
    assert refused(rules.check_members, "bond", [eth0, eth1], {2: "bond0"}) == {
        "parents": ["Interface eth1 is already in bond0."]}


def test_links_to_subnets() -> None:
    eth0, subnet = iface(1, "eth0"), {"id": 5, "vlan_id": 1, "cidr": "10.0.0.0/24"}
    auto = {"id": 1, "subnet_id": 5, "alloc_type": "auto"}
    link_up = {"id": 2, "subnet_id": None, "alloc_type": "link_up"}
    rules.check_link("STATIC", subnet, "10.0.0.5", eth0, [])
    rules.check_link("DHCP", None, None, eth0, [])
    rules.check_link("AUTO", subnet, None, eth0, [link_up])  # a LINK_UP placeholder gives way
    rules.check_link("STATIC", subnet, None, eth0, [auto])
    cases = [
        (("AUTO", subnet, None, iface(1, "eth0", vlan_id=None), []),
         {"mode": ["Interface eth0 is disconnected; set its VLAN first."]}),
        (("AUTO", None, None, eth0, []), {"subnet": ["This field is required."]}),
        (("STATIC", None, None, eth0, []), {"subnet": ["This field is required."]}),
        (("DHCP", None, "10.0.0.5", eth0, []), {"ip_address": ["Only STATIC links take an ip_address."]}),
        (("AUTO", {**subnet, "vlan_id": 2}, None, eth0, []),
         {"subnet": ["Subnet 10.0.0.0/24 is not on the VLAN of interface eth0; move the interface to the "
                     "subnet's VLAN first."]}),
        (("LINK_UP", None, None, eth0, [auto]), {"mode": ["Interface eth0 already has links; unlink them first."]}),
        (("AUTO", subnet, None, eth0, [auto]), {"subnet": ["Interface eth0 already has an AUTO link to this subnet."]}),
    ]
    for args, expected in cases:
        assert refused(rules.check_link, *args) == expected, args


GW4 = {"id": 11, "gateway_ip": "10.0.0.1"}
GW4_OTHER = {"id": 12, "gateway_ip": "10.1.0.1"}
GW6 = {"id": 13, "gateway_ip": "fd00::1"}


def test_default_gateways_are_chosen_per_family() -> None:
    assert rules.choose_default_gateways("eth0", [GW4, GW6], None) == {4: 11, 6: 13}
    assert rules.choose_default_gateways("eth0", [GW4, GW4_OTHER, GW6], 12) == {4: 12}
    assert rules.choose_default_gateways("eth0", [GW4, GW6], 13) == {6: 13}
    assert refused(rules.choose_default_gateways, "eth0", [], None) == {
        "__all__": ["Interface eth0 has no usable gateways: link it to a subnet that has a gateway_ip first."]}
    assert refused(rules.choose_default_gateways, "eth0", [], 11) == {
        "__all__": ["Interface eth0 has no usable gateways: link it to a subnet that has a gateway_ip first."]}
    assert refused(rules.choose_default_gateways, "eth0", [GW4, GW4_OTHER], None) == {
        "link_id": ["Interface eth0 has more than one IPv4 gateway; give the link_id of the one to use."]}
    assert refused(rules.choose_default_gateways, "eth0", [GW6, {"id": 14, "gateway_ip": "fd01::1"}], None) == {
        "link_id": ["Interface eth0 has more than one IPv6 gateway; give the link_id of the one to use."]}
    assert refused(rules.choose_default_gateways, "eth0", [GW4], 99) == {
        "link_id": ["Link 99 is not a link of interface eth0 on a subnet with a gateway."]}


def test_the_effective_gateway_is_the_chosen_link_or_the_first_of_its_family() -> None:
    links = [(11, "10.0.0.1"), (13, "fd00::1"), (12, "10.1.0.1")]
    assert rules.effective_gateway(4, 12, links) == "10.1.0.1"
    assert rules.effective_gateway(4, None, links) == "10.0.0.1"
    assert rules.effective_gateway(4, 77, links) == "10.0.0.1"  # the chosen link is gone
    assert rules.effective_gateway(6, None, links) == "fd00::1"
    assert rules.effective_gateway(6, None, links[:1]) is None
    assert rules.effective_gateway(4, None, []) is None


def test_a_link_gives_a_default_gateway_only_when_auto_or_static_on_a_subnet_with_one() -> None:
    with_gateway, without = {"id": 5, "gateway_ip": "10.0.0.1"}, {"id": 6, "gateway_ip": None}
    rules.check_gateway_link("AUTO", with_gateway)
    rules.check_gateway_link("STATIC", with_gateway)
    assert refused(rules.check_gateway_link, "DHCP", with_gateway) == {
        "default_gateway": ["Cannot use in mode 'DHCP': only AUTO and STATIC links give a default gateway."]}
    assert refused(rules.check_gateway_link, "STATIC", without) == {
        "default_gateway": ["Subnet has no gateway_ip; it cannot be the default gateway."]}
