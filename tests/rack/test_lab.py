"""The data centre lab itself: VLANs isolate and trunks carry, a region in a namespace serves the
test process through the uplink, `close()` leaves nothing, and a killed run is swept.

Every address is in the lab's own /24 of 198.18.0.0/15; traffic goes only to namespaces the lab
created (and back through its uplink)."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from ironworks.lab import dcnames, dcprobe
from ironworks.lab.datacentre import DataCentre, Host, access, trunk
from ironworks.lab.harness import Cluster
from ironworks.lab.hosts import rpc_hosts, start_regions, wait_for
from ironworks.lab.netns import LabError, NetLab, list_namespaces


@pytest.fixture(scope="module")
def dc() -> Iterator[DataCentre]:
    with DataCentre() as lab:
        lab.add_vlan(10)
        lab.add_vlan(20)
        yield lab


def v10_address(dc: DataCentre, n: int) -> str:
    """Address `n` of VLAN 10's subnet, for a host put on another VLAN on purpose."""
    net = dc.vlans[10].network
    return f"{net.network_address + n}/{net.prefixlen}"


def leftovers(name: str, uplink: str) -> list[str]:
    found = [ns for ns in list_namespaces() if ns.startswith(name + "-")]
    found += [link for link, lab in dcnames.root_links().items() if lab == name]
    if uplink not in found and subprocess.run(["ip", "link", "show", uplink],
                                              capture_output=True).returncode == 0:
        found.append(uplink)
    if (dcnames.RUN_DIR / f"{name}.json").exists():
        found.append("allocation record")
    return found


def dead(pid: int) -> bool:
    return not dcnames.alive(pid)


# -- the network ----------------------------------------------------------------------------

def test_hosts_on_one_access_vlan_reach_each_other(dc: DataCentre) -> None:
    a, b = dc.add_host("a", access(10)), dc.add_host("b", access(10))
    assert a.ping(b.address(10)) and b.ping(a.address(10))


def test_hosts_on_different_vlans_cannot_reach_each_other(dc: DataCentre) -> None:
    # Same subnet, different VLANs: only the switch keeps them apart.
    a = dc.add_host("iso-a", access(10, v10_address(dc, 20)))
    c = dc.add_host("iso-c", access(20, v10_address(dc, 21)))
    e = dc.add_host("iso-e", access(20, v10_address(dc, 22)))
    assert c.ping(e.address(20)), "control: VLAN 20 itself works"
    assert not a.ping(c.address(20), timeout=1)
    assert not c.ping(a.address(10), timeout=1)


def test_trunk_host_reaches_access_hosts_through_its_vlan_subinterfaces(dc: DataCentre) -> None:
    t = dc.add_host("t", trunk(10, 20, untagged=dc.mgmt_vid))
    a10, a20 = dc.add_host("ta10", access(10)), dc.add_host("ta20", access(20))
    assert {dev for dev, _ in t.addresses} == {"eth0", "eth0.10", "eth0.20"}
    assert t.ping(a10.address(10)) and a10.ping(t.address(10))
    assert t.ping(a20.address(20))
    # The untagged VLAN of the trunk is the management VLAN: the test process reaches it.
    assert dcprobe.ping(t.address(), 2)
    # A pure trunk: no address on eth0 itself, its VLANs still work.
    u = dc.add_host("u", trunk(10))
    assert ("eth0", 10) not in u.addresses and u.ping(a10.address(10))


def test_uplink_is_the_labs_own_slice_of_the_benchmark_range(dc: DataCentre) -> None:
    assert dc.network.subnet_of(dcnames.LAB_RANGE) and dc.network.prefixlen == 24
    assert len(dc.uplink) <= 15 and dc.uplink in dcnames.root_links()
    assert all(ns.startswith(f"iwdc-{os.getpid()}-") for ns in dc.namespaces())
    assert ipaddress.ip_address(dc.uplink_address.split("/")[0]) in dc.vlans[dc.mgmt_vid].network
    m = dc.add_host("m")
    assert dcprobe.ping(m.address(), 2)
    with DataCentre() as other:  # a second lab meanwhile takes another /24
        assert not other.network.overlaps(dc.network)


# -- a region on a host ----------------------------------------------------------------------

def test_region_in_a_namespace_serves_the_test_process_through_the_uplink(
        cluster: Cluster, dc: DataCentre) -> None:
    region = dc.add_region(cluster, "region-a")
    start_regions([region], timeout=90)
    host = dc.hosts["region-a"]
    assert region.url == f"http://{host.address()}:5240/MAAS/"
    assert region.process is not None and region.process.pid in NetLab.pids(host.ns)
    version = httpx.get(region.url + "api/2.0/version/", timeout=10)
    assert version.status_code == 200, version.text
    assert rpc_hosts(region.rpc())["region-a"] == {(host.address(), 5240)}
    assert region.client().get("users/", op="whoami").json()["username"] == "admin"


# -- a rack on a host (the real maas-rack/maas-rackd are exercised by the rack tests) ---------

def fake_rack_bin(directory: Path) -> Path:
    """Stand-ins that show where and how LabRack runs the rack's programs."""
    (directory / "maas-rack").write_text('#!/bin/sh\necho "$(hostname) $*"\n')
    (directory / "maas-rackd").write_text(
        '#!/bin/sh\necho "up as $(hostname) config=$MAAS_CLUSTER_CONFIG"\n'
        'echo fake-system-id > "$MAAS_DATA/maas_id"\nexec sleep 600\n')
    for program in directory.iterdir():
        program.chmod(0o755)
    return directory


def test_rack_runs_its_programs_as_its_host(dc: DataCentre, tmp_path: Path) -> None:
    rack = dc.add_rack("rack-a")
    rack.bin_dir = fake_rack_bin(tmp_path)
    done = rack.register(["http://198.18.0.2:5240/MAAS/", "http://198.18.0.3:5240/MAAS/"], "s3cret")
    assert done.stdout.split() == ["rack-a", "register", "--url", "http://198.18.0.2:5240/MAAS/",
                                   "--url", "http://198.18.0.3:5240/MAAS/", "--secret", "s3cret"]
    process = rack.start()
    wait_for("the rack to write its maas_id", lambda: rack.data_dir.joinpath("maas_id").exists(), 10)
    assert rack.system_id == "fake-system-id"
    wait_for("the rack's log line", lambda: "up as rack-a" in rack.log_text(), 10)
    assert f"config={rack.config_path}" in rack.log_text()
    assert process.pid in NetLab.pids(dc.hosts["rack-a"].ns)
    assert process.pid in rack.kill9() and process.returncode == -signal.SIGKILL
    rack.start()
    rack.stop(timeout=10)
    assert not rack.running()


def test_rack_without_its_programs_is_a_clear_lab_error(dc: DataCentre, tmp_path: Path) -> None:
    rack = dc.add_rack("rack-missing")
    rack.bin_dir = tmp_path
    with pytest.raises(LabError, match="maas-rackd is not installed"):
        rack.start()
    with pytest.raises(LabError, match="maas-rack is not installed"):
        rack.register(["http://198.18.0.2:5240/MAAS/"], "s3cret")


# -- tearing down and sweeping ---------------------------------------------------------------

def populated(lab: DataCentre) -> int:
    """A host with a process inside; returns the process's PID."""
    host: Host = lab.add_host("h")
    return lab.net.spawn(host.ns, ["sleep", "600"]).pid


def test_close_removes_every_namespace_the_uplink_and_the_allocation() -> None:
    lab = DataCentre()
    pid = populated(lab)
    assert leftovers(lab.name, lab.uplink)
    lab.close()
    assert leftovers(lab.name, lab.uplink) == [] and dead(pid)


def test_close_cleans_up_when_the_with_body_raised() -> None:
    with pytest.raises(RuntimeError, match="test failed half-way"):
        with DataCentre() as lab:
            pid = populated(lab)
            raise RuntimeError("test failed half-way")
    assert leftovers(lab.name, lab.uplink) == [] and dead(pid)


CHILD = """
import json, os, signal, subprocess
from ironworks.lab.datacentre import DataCentre
dc = DataCentre()
host = dc.add_host("h")
sleeper = subprocess.Popen(["ip", "netns", "exec", host.ns, "sleep", "600"], start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(json.dumps({"name": dc.name, "uplink": dc.uplink, "pid": sleeper.pid}), flush=True)
input()  # killed only once the test holds the lab lock: no other sweep can race its checks
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_next_lab_sweeps_the_leftovers_of_a_killed_run(dc: DataCentre) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        left = json.loads(child.stdout.readline() or "null")  # type: ignore[union-attr]
        assert left, "the child process built no lab"
        with dcnames.locked():
            child.communicate("die\n", timeout=30)
            assert child.returncode == -signal.SIGKILL
            assert len(leftovers(left["name"], left["uplink"])) == 4  # switch, host, uplink, record
            assert not dead(left["pid"])
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    with DataCentre():
        assert leftovers(left["name"], left["uplink"]) == []
        wait_for("the orphan inside to be killed", lambda: dead(left["pid"]), 10)
    assert dc.namespaces(), "a live lab is never swept"


def test_sweep_judges_a_lab_without_its_record_by_the_pid_in_its_names() -> None:
    finished = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True)
    lab = DataCentre(owner_pid=int(finished.stdout))
    try:
        pid = populated(lab)
        lab.record.path.unlink()
        dcnames.sweep()  # (or another test process's sweep, meanwhile: the same rule)
        assert leftovers(lab.name, lab.uplink) == [] and dead(pid)
    finally:
        lab.close()
