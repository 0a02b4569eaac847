"""Pure parts of nodes: the JSON renderer, power types, architectures, generated hostnames."""

from __future__ import annotations

import ipaddress
import re

import orjson
import pytest

from ironworks.common.errors import InvalidInput
from ironworks.common.power_types import (
    POWER_TYPES,
    check_power_parameters,
    check_power_type,
)
from ironworks.region.api.render_node import render_nodes, render_nodes_json
from ironworks.region.services.nodes.architectures import normalise_architecture
from ironworks.region.services.nodes.hostnames import candidate
from ironworks.region.services.nodes.query import NODE_FIELDS, NodeData


def node(node_id: int, **overrides: object) -> tuple:
    values = dict(id=node_id, system_id=f"sys{node_id}", hostname=f"host{node_id}", description="",
                  node_type=0, domain_id=0, zone_id=1, pool_id=0, architecture="amd64/generic",
                  status=4, status_message="", power_type="manual", power_state="off", cpu_count=2,
                  cpu_speed=0, memory=1024, osystem="", distro_series="", hwe_kernel=None,
                  min_hwe_kernel=None, locked=False, netboot=True, version="", owner=None,
                  gateway_link_ipv4_id=None, gateway_link_ipv6_id=None)
    values.update(overrides)
    return tuple(values[f] for f in NODE_FIELDS)


def vlan_row(vlan_id: int, vid: int, relay: int | None = None, mtu: int = 1500) -> dict:
    return {"id": vlan_id, "vid": vid, "name": None, "description": "", "fabric_name": "fabric-0",
            "fabric_id": 0, "mtu": mtu, "dhcp_on": False, "external_dhcp": None,
            "primary_rack_system_id": None, "secondary_rack_system_id": None, "relay_vlan_id": relay,
            "space_name": None}


def subnet_row(subnet_id: int, cidr: str, vlan_id: int) -> dict:
    return {"id": subnet_id, "name": cidr, "description": "", "cidr": ipaddress.ip_network(cidr),
            "vlan_id": vlan_id, "space_name": None, "gateway_ip": None, "dns_servers": [],
            "rdns_mode": 2, "active_discovery": False, "allow_dns": True, "allow_proxy": True,
            "managed": True, "disabled_boot_architectures": []}


def iface(iface_id: int, node_id: int, vlan_id: int | None, params: str = "{}") -> tuple:
    return (iface_id, node_id, f"eth{iface_id}", "physical", f"00:00:00:00:00:{iface_id:02x}", True,
            vlan_id, params, None, None, None, None, None, None)


def addr(addr_id: int, alloc_type: str, subnet_id: int | None, ip: str | None) -> tuple:
    return (0, 0, "", "", "", True, None, "{}", None, None, addr_id, alloc_type, subnet_id, ip)


def data(**kw: object) -> NodeData:
    d = NodeData(nodes=kw.pop("nodes"))  # type: ignore[arg-type]
    d.domains = {0: {"id": 0, "name": "maas", "ttl": None, "authoritative": True, "is_default": True}}
    d.zones = {1: {"id": 1, "name": "default", "description": ""}}
    d.pools = {0: {"id": 0, "name": "default", "description": ""}}
    for key, value in kw.items():
        setattr(d, key, value)
    return d


def test_shared_nested_objects_are_built_once() -> None:
    d = data(nodes=[node(1), node(2)],
             interfaces={1: [iface(1, 1, 10)], 2: [iface(2, 2, 10)]},
             addresses={1: [addr(1, "sticky", 5, "10.0.0.1")], 2: [addr(2, "auto", 5, "10.0.0.2")]},
             vlans={10: vlan_row(10, 0)}, subnets={5: subnet_row(5, "10.0.0.0/24", 10)})
    a, b = render_nodes(d, "machines")
    assert a["interface_set"][0]["vlan"] is b["interface_set"][0]["vlan"]
    assert a["interface_set"][0]["links"][0]["subnet"] is b["interface_set"][0]["links"][0]["subnet"]
    assert a["interface_set"][0]["links"][0]["subnet"]["vlan"] is a["interface_set"][0]["vlan"]
    assert a["domain"] is b["domain"] and a["zone"] is b["zone"]
    assert [link["mode"] for n in (a, b) for link in n["interface_set"][0]["links"]] == ["static", "auto"]
    assert a["ip_addresses"] == ["10.0.0.1"]
    decoded = orjson.loads(orjson.dumps([a, b]))
    assert decoded[1]["interface_set"][0]["vlan"]["name"] == "untagged"
    # The serialised form (shared objects spliced in as fragments) is the same JSON.
    assert orjson.loads(render_nodes_json(d, "machines")) == decoded


def test_link_modes_and_discovered_addresses() -> None:
    d = data(nodes=[node(1)], interfaces={1: [iface(1, 1, None), iface(2, 1, None)]},
             addresses={1: [addr(1, "dhcp", None, None), addr(2, "discovered", None, "192.168.1.50")],
                        2: [addr(3, "link_up", None, None)]})
    (n,) = render_nodes(d, "machines")
    assert n["interface_set"][0]["links"] == [
        {"id": 1, "mode": "dhcp", "subnet": None, "ip_address": "192.168.1.50"}]
    assert n["interface_set"][1]["links"][0]["mode"] == "link_up"
    assert n["ip_addresses"] == ["192.168.1.50"]  # a DHCP interface's discovered address
    assert n["interface_set"][0]["discovered"] is None


def test_interface_mtu_params_and_relay_vlan() -> None:
    d = data(nodes=[node(1)], interfaces={1: [iface(1, 1, 20, '{"mtu": 9000}'), iface(2, 1, 20)]},
             vlans={20: vlan_row(20, 20, relay=21, mtu=1400), 21: vlan_row(21, 21)})
    (n,) = render_nodes(d, "machines")
    first, second = n["interface_set"]
    assert (first["effective_mtu"], first["params"]) == (9000, {"mtu": 9000})
    assert second["effective_mtu"] == 1400
    assert second["vlan"]["relay_vlan"]["id"] == 21
    assert n["boot_interface"] is first


def test_node_fields() -> None:
    d = data(nodes=[node(1, power_state="weird", owner="alice", pool_id=None, node_type=2)],
             services={1: [(1, "rackd", "running", "")]})
    (n,) = render_nodes(d, "rackcontrollers")
    assert n["power_state"] == "unknown"  # libmaas raises on anything else
    assert (n["owner"], n["pool"], n["node_type_name"]) == ("alice", None, "Rack controller")
    assert n["resource_uri"] == "/MAAS/api/2.0/rackcontrollers/sys1/"
    assert n["service_set"] == [{"name": "rackd", "status": "running", "status_info": ""}]
    assert n["fqdn"] == "host1.maas" and n["boot_interface"] is None and n["interface_set"] == []
    assert "service_set" not in render_nodes(data(nodes=[node(1)]), "machines")[0]


def test_power_types() -> None:
    assert {"manual", "ipmi", "redfish", "webhook", "virsh", "lxd", "amt", "wedge", "apc"} <= set(POWER_TYPES)
    assert check_power_type("") == "" and check_power_type("ipmi") == "ipmi"
    with pytest.raises(InvalidInput) as refused:
        check_power_type("nope")
    assert refused.value.errors["power_type"][0].startswith("Select a valid choice. 'nope'")
    assert check_power_parameters("ipmi", {"power_address": "10.0.0.1", "power_driver": "LAN_2_0"}) == {
        "power_address": "10.0.0.1", "power_driver": "LAN_2_0"}
    assert check_power_parameters("manual", {}) == {}
    with pytest.raises(InvalidInput):
        check_power_parameters("ipmi", {"power_address": {"nested": 1}}, skip_check=True)
    with pytest.raises(InvalidInput) as several:
        check_power_parameters("webhook", {"power_verify_ssl": "maybe"})
    assert len(several.value.errors["power_parameters"]) == 3  # two missing URIs and a bad choice


def test_architectures() -> None:
    assert normalise_architecture("amd64") == "amd64/generic"
    assert normalise_architecture(" ARM64/Generic ") == "arm64/generic"
    for arch in ("i386", "armhf", "ppc64el", "s390x"):
        assert normalise_architecture(arch) == f"{arch}/generic"
    with pytest.raises(InvalidInput):
        normalise_architecture("amd64/")


def test_generated_hostnames_look_like_maas() -> None:
    assert all(re.fullmatch(r"[a-z]+-[a-z]+", candidate()) for _ in range(50))
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", candidate(suffix=True))
