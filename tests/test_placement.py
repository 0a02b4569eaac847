"""Placing a controller's reported interfaces on VLANs: the pure rules."""

from __future__ import annotations

from ironworks.common.protocol.interfaces import InterfaceReport
from ironworks.region.services.networking.placement import (
    NewFabric,
    Plan,
    VlanRef,
    place,
)

# Fabric 0 (VLAN 5001 untagged, 5002 vid 10), fabric 3 (VLAN 7 untagged).
VLANS = {5001: (0, 0), 5002: (0, 10), 7: (3, 0)}
SUBNETS = {"10.0.0.0/24": 5001, "10.10.0.0/24": 5002, "192.168.3.0/24": 7}


def nic(name: str, *addresses: str, **kw) -> InterfaceReport:  # noqa: ANN003
    return InterfaceReport(name=name, type=kw.pop("type", "physical"), addresses=list(addresses), **kw)


def test_a_known_cidr_puts_the_interface_on_its_subnets_vlan() -> None:
    plan = place([nic("eth0", "10.0.0.5/24"), nic("eth1", "192.168.3.9/24")], SUBNETS, VLANS, {})
    assert plan.vlans == {"eth0": VlanRef(0, 0), "eth1": VlanRef(3, 0)}
    assert plan.new_fabrics == 0 and plan.new_subnets == {}
    assert plan.links == {"eth0": [("10.0.0.5", "10.0.0.0/24")], "eth1": [("192.168.3.9", "192.168.3.0/24")]}


def test_an_address_inside_a_wider_known_subnet_uses_it() -> None:
    plan = place([nic("eth0", "10.0.0.5/28")], SUBNETS, VLANS, {})
    assert plan.vlans["eth0"] == VlanRef(0, 0) and plan.links["eth0"] == [("10.0.0.5", "10.0.0.0/24")]
    assert plan.new_subnets == {}


def test_a_tagged_sub_interface_gets_that_vid_on_its_parents_fabric() -> None:
    reports = [nic("eth0", "192.168.3.9/24"), nic("eth0.42", "10.42.0.2/24", type="vlan", parents=["eth0"], vid=42)]
    plan = place(reports, SUBNETS, VLANS, {})
    assert plan.vlans == {"eth0": VlanRef(3, 0), "eth0.42": VlanRef(3, 42)}  # created when missing
    assert plan.new_subnets == {"10.42.0.0/24": VlanRef(3, 42)}
    # The parent placed first, on a new fabric: the child follows it there.
    plan = place([nic("eth9"), nic("eth9.5", type="vlan", parents=["eth9"], vid=5)], {}, {}, {})
    assert plan.vlans == {"eth9": VlanRef(NewFabric(0), 0), "eth9.5": VlanRef(NewFabric(0), 5)}
    assert plan.new_fabrics == 1


def test_a_parent_without_addresses_follows_its_tagged_childs_known_subnet() -> None:
    reports = [nic("eth0"), nic("eth0.10", "10.10.0.7/24", type="vlan", parents=["eth0"], vid=10)]
    plan = place(reports, SUBNETS, VLANS, {})
    assert plan.vlans == {"eth0": VlanRef(0, 0), "eth0.10": VlanRef(0, 10)} and plan.new_fabrics == 0


def test_unknown_l2_without_addresses_gets_a_new_fabric_each() -> None:
    plan = place([nic("eth0"), nic("eth1")], SUBNETS, VLANS, {})
    assert plan.vlans == {"eth0": VlanRef(NewFabric(0), 0), "eth1": VlanRef(NewFabric(1), 0)}
    assert plan.new_fabrics == 2


def test_an_unknown_cidr_gets_a_new_fabric_and_its_subnet() -> None:
    plan = place([nic("eth0", "172.20.1.5/16", "fd20::5/64")], SUBNETS, VLANS, {})
    assert plan.vlans == {"eth0": VlanRef(NewFabric(0), 0)}
    assert plan.new_subnets == {"172.20.0.0/16": VlanRef(NewFabric(0), 0), "fd20::/64": VlanRef(NewFabric(0), 0)}
    assert plan.links["eth0"] == [("172.20.1.5", "172.20.0.0/16"), ("fd20::5", "fd20::/64")]


def test_a_network_seen_twice_is_made_once_and_joins_the_second_interface() -> None:
    plan = place([nic("eth0", "172.20.1.5/24"), nic("eth1", "172.20.1.6/24")], {}, {}, {})
    assert plan.vlans["eth0"] == plan.vlans["eth1"] == VlanRef(NewFabric(0), 0)
    assert list(plan.new_subnets) == ["172.20.1.0/24"] and plan.new_fabrics == 1


def test_a_bridge_and_its_members_share_one_vlan() -> None:
    reports = [nic("eth0"), nic("eth1"), nic("br0", "192.168.3.1/24", type="bridge", parents=["eth0", "eth1"])]
    plan = place(reports, SUBNETS, VLANS, {})
    assert plan.vlans == {"eth0": VlanRef(3, 0), "eth1": VlanRef(3, 0), "br0": VlanRef(3, 0)}
    # A bond of two NICs, a VLAN on the bond, a bridge on that VLAN: one new fabric for all.
    reports = [nic("ens4"), nic("ens5"), nic("bond0", "172.30.0.9/22", type="bond", parents=["ens4", "ens5"]),
               nic("bond0.100", type="vlan", parents=["bond0"], vid=100),
               nic("br-ex", "203.0.113.7/28", type="bridge", parents=["bond0.100"])]
    plan = place(reports, {}, {}, {})
    fabric = NewFabric(0)
    assert plan.vlans == {"ens4": VlanRef(fabric, 0), "ens5": VlanRef(fabric, 0), "bond0": VlanRef(fabric, 0),
                          "bond0.100": VlanRef(fabric, 100), "br-ex": VlanRef(fabric, 100)}
    assert plan.new_subnets == {"172.30.0.0/22": VlanRef(fabric, 0), "203.0.113.0/28": VlanRef(fabric, 100)}


def _as_database(plan: Plan, subnets: dict[str, int], vlans: dict[int, tuple[int, int]]) \
        -> tuple[dict[str, int], dict[int, tuple[int, int]], dict[str, int]]:
    """What the database holds after carrying `plan` out (new fabrics get ids 100, 101, ...)."""
    vlans, subnets = dict(vlans), dict(subnets)
    ids = {(f, v): i for i, (f, v) in vlans.items()}

    def vlan_id(ref: VlanRef) -> int:
        fabric = 100 + ref.fabric.index if isinstance(ref.fabric, NewFabric) else ref.fabric
        if (fabric, ref.vid) not in ids:
            ids[(fabric, ref.vid)] = max(vlans, default=0) + 1
            vlans[ids[(fabric, ref.vid)]] = (fabric, ref.vid)
        return ids[(fabric, ref.vid)]

    current = {name: vlan_id(ref) for name, ref in plan.vlans.items()}
    for cidr, ref in plan.new_subnets.items():
        subnets[cidr] = vlan_id(ref)
    return subnets, vlans, current


def test_placing_again_changes_nothing() -> None:
    reports = [nic("eth0", "172.20.1.5/24"), nic("eth1"), nic("eth0.7", "10.7.0.1/24", type="vlan", parents=["eth0"], vid=7),
               nic("br0", "10.0.0.9/24", type="bridge", parents=["eth1"])]
    first = place(reports, SUBNETS, VLANS, {})
    subnets, vlans, current = _as_database(first, SUBNETS, VLANS)
    again = place(reports, subnets, vlans, current)
    assert again.new_fabrics == 0 and again.new_subnets == {} and again.unplaced == []
    assert {n: vlans_id for n, vlans_id in _as_database(again, subnets, vlans)[2].items()} == current
    assert again.links == first.links
    # An interface with no address at all keeps the fabric it was given.
    lone = place([nic("eth5")], subnets, vlans, {"eth5": current["eth1"]})
    assert lone.vlans["eth5"] == VlanRef(0, 0) and lone.new_fabrics == 0


def test_an_interface_whose_addresses_prove_it_moved_moves() -> None:
    # eth0 sat on fabric 3; it now has an address in 10.0.0.0/24 (fabric 0) and none on fabric 3.
    plan = place([nic("eth0", "10.0.0.5/24")], SUBNETS, VLANS, {"eth0": 7})
    assert plan.vlans["eth0"] == VlanRef(0, 0)
    # One address on each: the current VLAN is confirmed, so it stays.
    plan = place([nic("eth0", "10.0.0.5/24", "192.168.3.5/24")], SUBNETS, VLANS, {"eth0": 7})
    assert plan.vlans["eth0"] == VlanRef(3, 0)
    # A new network on a placed interface is made on the VLAN it already has.
    plan = place([nic("eth0", "172.16.9.1/24")], SUBNETS, VLANS, {"eth0": 7})
    assert plan.vlans["eth0"] == VlanRef(3, 0) and plan.new_subnets == {"172.16.9.0/24": VlanRef(3, 0)}


def test_overlapping_networks_and_host_routes_make_no_subnet() -> None:
    plan = place([nic("eth0", "10.0.0.0/23", "10.0.5.1/32", "fe80::1/64")], SUBNETS, VLANS, {})
    # 10.0.0.0/23 overlaps the known 10.0.0.0/24 but the address lies in it: it links there.
    assert plan.links["eth0"] == [("10.0.0.0", "10.0.0.0/24")]
    plan = place([nic("eth0", "10.0.1.9/23")], SUBNETS, VLANS, {})
    assert plan.unplaced == [("eth0", "10.0.1.9/23")] and plan.new_subnets == {}
