"""The rack's interface discovery: the pure parser on `ip -j` samples, then the real thing inside
a network namespace made for the test (always deleted)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from ironworks.common.protocol.interfaces import InterfaceReport
from ironworks.lab.netns import require_programs
from ironworks.rack.interfaces import parse_interfaces

SAMPLES = Path(__file__).parent / "fixtures" / "ip"


def sample(name: str) -> dict[str, InterfaceReport]:
    links = json.loads((SAMPLES / f"{name}_link.json").read_text())
    addrs = json.loads((SAMPLES / f"{name}_addr.json").read_text())
    return {r.name: r for r in parse_interfaces(links, addrs)}


def test_veths_bridges_and_addresses_from_a_real_capture() -> None:
    found = sample("veth_bridge")
    assert sorted(found) == ["br0", "eth0", "eth1", "eth2", "peer2"]  # no lo, no vxlan
    eth0 = found["eth0"]
    assert (eth0.type, eth0.mac_address, eth0.enabled) == ("physical", "36:d2:fd:b2:b8:d6", True)
    assert eth0.addresses == ["10.0.0.5/24", "10.1.0.9/16", "fd00:1::5/64"]  # no fe80::
    assert found["br0"].type == "bridge" and found["br0"].parents == ["eth1"]
    assert found["br0"].addresses == ["192.168.7.1/24"]
    assert found["eth1"].parents == [] and found["eth1"].addresses == []  # a veth's peer is no parent
    assert found["peer2"].enabled is False and found["eth2"].enabled is True  # admin state, not carrier


def test_vlans_bonds_and_junk() -> None:
    found = sample("vlan_bond")
    assert list(found) == ["ens3", "ens4", "ens5", "bond0", "ens3.42", "bond0.100", "br-ex", "ens6"]
    assert (found["ens3.42"].type, found["ens3.42"].parents, found["ens3.42"].vid) == ("vlan", ["ens3"], 42)
    assert found["ens3.42"].addresses == ["10.42.0.4/24"]
    bond = found["bond0"]
    assert (bond.type, bond.parents, bond.addresses) == ("bond", ["ens4", "ens5"], ["172.30.0.9/22"])
    # Members report their own MACs, not the bond's.
    assert [found[m].mac_address for m in ("ens4", "ens5")] == ["52:54:00:aa:00:02", "52:54:00:aa:00:03"]
    assert found["bond0.100"].parents == ["bond0"] and found["bond0.100"].vid == 100
    assert found["br-ex"].parents == ["bond0.100"]  # the tap member is skipped
    assert found["ens3"].addresses == ["10.20.0.4/24", "2001:db8:20::4/64"]
    assert found["ens6"].enabled is False


def test_a_bond_member_without_permaddr_uses_its_slave_data() -> None:
    links = [{"ifname": "ens4", "flags": ["SLAVE", "UP"], "master": "bond0", "link_type": "ether",
              "address": "52:54:00:aa:00:02",
              "linkinfo": {"info_slave_kind": "bond", "info_slave_data": {"perm_hwaddr": "52:54:00:aa:00:03"}}}]
    assert parse_interfaces(links, [])[0].mac_address == "52:54:00:aa:00:03"


def test_a_vlan_whose_parent_is_skipped_is_skipped() -> None:
    links = [
        {"ifname": "vx0", "flags": ["UP"], "link_type": "ether", "address": "aa:00:00:00:00:01",
         "linkinfo": {"info_kind": "vxlan"}},
        {"ifname": "vx0.5", "link": "vx0", "flags": ["UP"], "link_type": "ether", "address": "aa:00:00:00:00:01",
         "linkinfo": {"info_kind": "vlan", "info_data": {"protocol": "802.1Q", "id": 5}}},
        {"ifname": "vx0.5.6", "link": "vx0.5", "flags": ["UP"], "link_type": "ether",
         "linkinfo": {"info_kind": "vlan", "info_data": {"protocol": "802.1ad", "id": 6}}},
    ]
    assert parse_interfaces(links, []) == []


# -- the real thing, in a namespace ---------------------------------------------------------

def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=check)


@pytest.fixture
def netns() -> Iterator[str]:
    require_programs("ip")  # fails (never skips) without root or iproute2
    name = f"iwnet-{os.getpid()}-{secrets.token_hex(3)}"
    _ip("netns", "add", name)
    try:
        yield name
    finally:
        _ip("netns", "delete", name, check=False)


def _in(ns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return _ip("-n", ns, *args, check=check)


def _discover(ns: str) -> dict[str, InterfaceReport]:
    result = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-m", "ironworks.rack.interfaces"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return {r.name: r for r in (InterfaceReport(**d) for d in json.loads(result.stdout))}


def test_discovery_in_a_real_namespace(netns: str) -> None:
    _in(netns, "link", "add", "nic0", "type", "veth", "peer", "name", "nic1")
    _in(netns, "link", "add", "nic2", "type", "veth", "peer", "name", "nic3")
    _in(netns, "link", "add", "br0", "type", "bridge")
    _in(netns, "link", "set", "nic1", "master", "br0")
    for name in ("lo", "nic0", "nic1", "br0", "nic2"):
        _in(netns, "link", "set", name, "up")
    _in(netns, "addr", "add", "10.77.0.2/24", "dev", "nic0")
    _in(netns, "addr", "add", "fd77::2/64", "dev", "nic0", "nodad")
    _in(netns, "addr", "add", "10.78.0.1/24", "dev", "br0")
    mac = json.loads(_in(netns, "-j", "link", "show", "nic0").stdout)[0]["address"]

    found = _discover(netns)

    assert sorted(found) == ["br0", "nic0", "nic1", "nic2", "nic3"]
    assert (found["nic0"].type, found["nic0"].mac_address, found["nic0"].enabled) == ("physical", mac, True)
    assert found["nic0"].addresses == ["10.77.0.2/24", "fd77::2/64"]  # no link-local
    assert (found["br0"].type, found["br0"].parents, found["br0"].addresses) == ("bridge", ["nic1"], ["10.78.0.1/24"])
    assert found["nic1"].type == "physical" and found["nic1"].parents == [] and found["nic1"].addresses == []
    assert found["nic3"].enabled is False and found["nic2"].enabled is True

