"""Real `maas-rackd` processes on rack hosts (network namespaces), two regions on their own
hosts: the guide's commands, the network the rack reports, and what an operator sees when a
rack is killed, cut off, restarted or deleted, or when the region it registered through dies."""

from __future__ import annotations

import ipaddress
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from ironworks.lab.datacentre import DataCentre, access, trunk
from ironworks.lab.harness import BIN
from ironworks.lab.hosts import start_regions, wait_for
from ironworks.lab.simrack import rack_json, rackd_of

VID = 10


@pytest.fixture(scope="module")
def dc(cluster) -> Iterator[tuple]:  # noqa: ANN001
    with DataCentre() as lab:
        lab.add_vlan(VID)
        regions = [lab.add_region(cluster, "dc-region-a", workers=2),
                   lab.add_region(cluster, "dc-region-b", dbname=None, workers=2)]
        regions[1].dbname = regions[0].dbname
        regions[1].configure()
        start_regions(regions)
        yield lab, regions


def secret(region) -> str:  # noqa: ANN001
    return (region.home / "data" / "secret").read_text().strip()


def maas(region, home: Path, command: str) -> subprocess.CompletedProcess:  # noqa: ANN001
    """A shell line with `maas` on the PATH and a logged-in `admin` profile, as an operator types it."""
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(home)}
    subprocess.run([str(BIN / "maas"), "login", "admin", region.url, region.apikey], env=env, check=True,
                   capture_output=True, timeout=60)
    return subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60)


def test_a_rack_registers_with_the_guides_command_and_its_network_is_placed(dc, tmp_path) -> None:  # noqa: ANN001
    lab, (a, b) = dc
    api = a.client()
    # The operator already knows VLAN 10's subnet: the rack's address there must land on it.
    vlan10 = lab.vlans[VID]
    fabric = api.post("fabrics/", {"name": "dc-fabric"}).json()
    known_vlan = api.post(f"fabrics/{fabric['id']}/vlans/", {"vid": VID, "name": "prov"}).json()
    assert api.post("subnets/", {"cidr": str(vlan10.network), "vlan": known_vlan["id"]}).status_code == 200

    rack = lab.add_rack("dc-rack-1", access(lab.mgmt_vid), trunk(VID))
    done = rack.register([a.url], secret(a))
    assert done.returncode == 0, done.stderr
    assert str(rack.config_path) in done.stdout and a.url.rstrip("/") in done.stdout
    rack.start()
    listed = wait_for("the rack in rack-controllers read", lambda: "dc-rack-1" in maas(
        b, tmp_path, "maas admin rack-controllers read | grep hostname | cut -d '\"' -f 4").stdout.split(), 60)
    assert listed
    wait_for("rackd running (connected to both regions)", lambda: rackd_of(b, "dc-rack-1") == ("running", ""), 30)

    shown = rack_json(b, "dc-rack-1")
    assert shown["version"] and shown["system_id"] == rack.system_id
    by_name = {i["name"]: i for i in shown["interface_set"]}
    sub = by_name[f"eth1.{VID}"]
    assert sub["vlan"]["id"] == known_vlan["id"]  # known CIDR → its VLAN
    if lab.vlan_mode == "8021q":
        assert sub["type"] == "vlan" and sub["vlan"]["vid"] == VID
    mgmt = by_name["eth0"]
    mgmt_cidr = str(lab.vlans[lab.mgmt_vid].network)
    assert [link["subnet"]["cidr"] for link in mgmt["links"]] == [mgmt_cidr]  # a subnet it saw: created
    assert mgmt["vlan"]["fabric_id"] not in (fabric["id"],)  # unknown L2: a fabric of its own
    addresses = set(shown["ip_addresses"])
    assert lab.hosts["dc-rack-1"].address().split("/")[0] in addresses


def test_kill_9_of_the_rack_is_dead_within_10_s_and_it_comes_back_as_itself(dc) -> None:  # noqa: ANN001
    lab, (a, b) = dc
    rack = lab.add_rack("dc-rack-2", access(lab.mgmt_vid))
    assert rack.register([b.url], secret(b)).returncode == 0
    rack.start()
    wait_for("rackd running", lambda: rackd_of(a, "dc-rack-2") == ("running", ""), 60)
    system_id = rack.system_id
    rack.kill9()
    started = time.monotonic()
    wait_for("rackd dead", lambda: rackd_of(a, "dc-rack-2") == ("dead", "Not connected to any region controllers."),
             10)
    assert time.monotonic() - started <= 10
    rack.start()
    wait_for("rackd running again", lambda: rackd_of(a, "dc-rack-2") == ("running", ""), 60)
    assert rack.system_id == system_id
    assert [r["hostname"] for r in a.client().get("rackcontrollers/").json()].count("dc-rack-2") == 1


def test_a_cut_cable_is_noticed_within_10_s(dc) -> None:  # noqa: ANN001
    lab, (a, _) = dc
    rack = lab.add_rack("dc-rack-3", access(lab.mgmt_vid))
    assert rack.register([a.url], secret(a)).returncode == 0
    rack.start()
    wait_for("rackd running", lambda: rackd_of(a, "dc-rack-3") == ("running", ""), 60)
    host = lab.hosts["dc-rack-3"]
    lab.set_port(host, "eth0", False)  # half-open: no FIN, no RST, just silence
    try:
        started = time.monotonic()
        wait_for("rackd dead", lambda: rackd_of(a, "dc-rack-3")[0] == "dead", 12)
        assert time.monotonic() - started <= 10.5
    finally:
        lab.set_port(host, "eth0", True)
    wait_for("rackd running after the cable is back", lambda: rackd_of(a, "dc-rack-3") == ("running", ""), 60)


def test_delete_hands_dhcp_over_refuses_when_it_cannot_and_the_deleted_rack_stops(dc) -> None:  # noqa: ANN001
    lab, (a, b) = dc
    api = a.client()
    lab.add_vlan(20)  # only this rack is on VLAN 20
    rack = lab.add_rack("dc-rack-4", access(lab.mgmt_vid), access(20))
    assert rack.register([a.url], secret(a)).returncode == 0
    rack.start()
    wait_for("rackd running", lambda: rackd_of(a, "dc-rack-4") == ("running", ""), 60)
    paths = {}
    for nic in rack_json(a, "dc-rack-4")["interface_set"]:
        vlan, subnet = nic["vlan"], nic["links"][0]["subnet"]
        network = ipaddress.ip_network(subnet["cidr"])
        made = api.post("ipranges/", {"type": "dynamic", "start_ip": str(network[20]), "end_ip": str(network[25]),
                                      "subnet": subnet["id"]})
        assert made.status_code == 200, made.text
        paths[nic["name"]] = path = f"fabrics/{vlan['fabric_id']}/vlans/{vlan['vid']}/"
        assert api.put(path, {"primary_rack": rack.system_id, "dhcp_on": "true"}).status_code == 200
    refused = api.delete(f"rackcontrollers/{rack.system_id}/")
    assert refused.status_code == 400
    assert "no other rack controller can provide DHCP" in refused.text
    assert rack.running() and rackd_of(a, "dc-rack-4") == ("running", "")
    assert api.delete(f"rackcontrollers/{rack.system_id}/", force="true").status_code == 204
    wait_for("the deleted rack to stop", lambda: not rack.running(), 15)
    assert rack.process.returncode != 0
    log = rack.log_text()
    assert "deleted" in log and "maas-rack register" in log
    assert not (rack.data_dir / "secret").exists() and not (rack.data_dir / "maas_id").exists()
    assert api.get(paths["eth1"]).json()["dhcp_on"] is False  # forced: nobody else could serve it
    # the management VLAN went to another rack that is connected there
    mgmt = api.get(paths["eth0"]).json()
    others = {r["system_id"]: r["hostname"] for r in api.get("rackcontrollers/").json()}
    assert mgmt["dhcp_on"] is True and mgmt["primary_rack"] in others
    assert rackd_of(a, others[mgmt["primary_rack"]])[0] in ("running", "degraded")
