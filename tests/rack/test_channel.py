"""The rack channel end to end: real regions (two, on one database), racks running the real
channel and agent code in this process (lab/simrack.py).  What an operator sees: racks listed
with `rackd` running / degraded "N% connected" / dead, refusals, deletes and wakes."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from ironworks.common.protocol import messages as m
from ironworks.common.protocol.interfaces import InterfaceReport
from ironworks.lab import hosts
from ironworks.lab.hosts import wait_for
from ironworks.lab.simrack import RackLoop, SimRack, cluster_secret, rackd_of

ADDRESSES = ("127.0.0.41", "127.0.0.42")


@pytest.fixture(scope="module")
def regions(cluster) -> Iterator[list[hosts.LabRegion]]:  # noqa: ANN001
    rs = hosts.make_regions(cluster, 2, workers=2, addresses=ADDRESSES, prefix="chan")
    try:
        hosts.start_regions(rs)
        yield rs
    finally:
        hosts.cleanup_regions(rs)


@pytest.fixture
def loop() -> Iterator[RackLoop]:
    with RackLoop() as running:
        yield running


def url(region: hosts.LabRegion) -> str:
    return region.url.rstrip("/")


def test_a_rack_registers_connects_to_every_region_and_reports_its_services(regions, loop) -> None:  # noqa: ANN001
    a, b = regions
    # configured with region A only: it finds B through /MAAS/rpc/
    rack = loop.start(SimRack("chan-rack-1", [url(a)], cluster_secret(a)))
    wait_for("the rack to connect to both regions", lambda: rack.connected_regions == 2, 30)
    wait_for("rackd running", lambda: rackd_of(b, "chan-rack-1") == ("running", ""), 15)
    shown = {r["hostname"]: r for r in b.client().get("rackcontrollers/").json()}["chan-rack-1"]
    assert shown["system_id"] == rack.system_id and shown["node_type"] == 2
    services = {s["name"]: s["status"] for s in shown["service_set"]}
    assert services["rackd"] == "running"
    assert services["tftp"] == "off" and services["dhcpd"] == "off"  # it runs neither yet
    assert loop.call(rack, "ping")["region"] in ("chan-a", "chan-b")


def test_rackd_is_dead_soon_after_the_rack_goes_and_running_when_it_returns(regions, loop) -> None:  # noqa: ANN001
    a, _ = regions
    rack = loop.start(SimRack("chan-rack-2", [url(a)], cluster_secret(a)))
    wait_for("rackd running", lambda: rackd_of(a, "chan-rack-2") == ("running", ""), 30)
    system_id = rack.system_id
    loop.stop(rack)
    started = time.monotonic()
    wait_for("rackd dead", lambda: rackd_of(a, "chan-rack-2") == ("dead", "Not connected to any region controllers."),
             10)
    assert time.monotonic() - started < 10
    again = SimRack("chan-rack-2", [url(a)], cluster_secret(a))
    again.state.set_system_id(system_id)
    again.state.set_cluster_uuid(rack.state.cluster_uuid())
    loop.start(again)
    wait_for("rackd running again", lambda: rackd_of(a, "chan-rack-2") == ("running", ""), 30)
    assert again.system_id == system_id
    assert [r["hostname"] for r in a.client().get("rackcontrollers/").json()].count("chan-rack-2") == 1


def test_a_wrong_secret_is_refused_with_a_line_on_both_sides(regions, loop, caplog) -> None:  # noqa: ANN001
    a, _ = regions
    rack = loop.start(SimRack("chan-wrong", [url(a)], "0123456789abcdef" * 2))
    wait_for("the region's refusal in its log",
             lambda: "refused rack unregistered rack" in a.log_text() and "did not prove the shared secret"
             in a.log_text(), 20)
    assert "did not prove the shared secret" in caplog.text  # the rack's own line
    assert rack.connected_regions == 0 and rack.system_id is None
    assert rackd_of(a, "chan-wrong") is None


def test_a_rack_of_another_cluster_is_refused(regions, loop) -> None:  # noqa: ANN001
    a, _ = regions
    rack = SimRack("chan-other", [url(a)], cluster_secret(a))
    rack.state.set_cluster_uuid("00000000-0000-4000-8000-000000000000")
    loop.start(rack)
    wait_for("the refusal", lambda: rack.refusal is not None, 20)
    assert rack.refusal.reason == m.REFUSED_OTHER_CLUSTER
    assert "registered with another MAAS" in str(rack.refusal) and "maas-rack register" in str(rack.refusal)
    assert rackd_of(a, "chan-other") is None


def test_deleting_a_rack_stops_it_and_its_identity_is_refused_afterwards(regions, loop) -> None:  # noqa: ANN001
    a, b = regions
    rack = loop.start(SimRack("chan-doomed", [url(a)], cluster_secret(a)))
    wait_for("rackd running", lambda: rackd_of(a, "chan-doomed") == ("running", ""), 30)
    system_id, cluster = rack.system_id, rack.state.cluster_uuid()
    assert b.client().delete(f"rackcontrollers/{system_id}/").status_code == 204
    wait_for("the rack to be told to stop", lambda: rack.refusal is not None, 10)
    assert rack.refusal.reason == m.REFUSED_DELETED and "maas-rack register" in str(rack.refusal)
    # an offline copy of the deleted identity that comes back is refused, not re-registered
    ghost = SimRack("chan-doomed", [url(a)], cluster_secret(a))
    ghost.state.set_system_id(system_id)
    ghost.state.set_cluster_uuid(cluster)
    loop.start(ghost)
    wait_for("the refusal", lambda: ghost.refusal is not None, 20)
    assert ghost.refusal.reason == m.REFUSED_DELETED and system_id in str(ghost.refusal)
    assert rackd_of(a, "chan-doomed") is None


def test_refresh_wakes_the_rack_through_whichever_region_holds_it(regions, loop) -> None:  # noqa: ANN001
    a, b = regions
    rack = SimRack("chan-wake", [url(a)], cluster_secret(a))
    loop.start(rack)
    wait_for("rackd running", lambda: rackd_of(a, "chan-wake") == ("running", ""), 30)
    # a service changes on the rack; the rack's own timer would report it only in 30 s
    rack_services = dict(rack.agent.services())
    rack_services["ntp_rack"] = ("running", "")
    rack.agent.services = lambda: rack_services
    started = time.monotonic()
    assert b.client().post(f"rackcontrollers/{rack.system_id}/", op="refresh").status_code == 200

    def ntp() -> str:
        shown = {r["hostname"]: r for r in a.client().get("rackcontrollers/").json()}["chan-wake"]
        return {s["name"]: s["status"] for s in shown["service_set"]}["ntp_rack"]

    wait_for("the refreshed report", lambda: ntp() == "running", 10)
    assert time.monotonic() - started < 10


def test_a_changed_interface_reaches_the_region_without_asking(regions, loop) -> None:  # noqa: ANN001
    a, _ = regions
    rack = loop.start(SimRack("chan-nics", [url(a)], cluster_secret(a), [
        {"name": "eth0", "type": "physical", "mac_address": "52:54:0a:00:00:01", "addresses": ["10.201.0.5/24"]}]))
    wait_for("rackd running", lambda: rackd_of(a, "chan-nics") == ("running", ""), 30)

    def nics() -> dict[str, list[str]]:
        shown = {r["hostname"]: r for r in a.client().get("rackcontrollers/").json()}["chan-nics"]
        return {i["name"]: [link["subnet"]["cidr"] for link in i["links"]] for i in shown["interface_set"]}

    assert nics() == {"eth0": ["10.201.0.0/24"]}
    rack.interfaces = [*rack.interfaces, InterfaceReport(
        name="eth1", type="physical", mac_address="52:54:0a:00:00:02", addresses=["10.202.0.5/24"])]
    started = time.monotonic()
    wait_for("the new NIC and its subnet in the region", lambda: nics() == {
        "eth0": ["10.201.0.0/24"], "eth1": ["10.202.0.0/24"]}, 30)
    assert time.monotonic() - started < 30  # the guide's bound; the rack checks every 5 s


def test_a_rack_of_another_version_raises_the_administrators_warning(regions, loop) -> None:  # noqa: ANN001
    a, _ = regions
    rack = SimRack("chan-old", [url(a)], cluster_secret(a))
    loop.start(rack)
    wait_for("rackd running", lambda: rackd_of(a, "chan-old") == ("running", ""), 30)
    assert not [n for n in a.client().get("notifications/").json() if "different versions" in n["message"]]
    older = SimRack("chan-older", [url(a)], cluster_secret(a))
    older.version = "0.0.1"
    loop.start(older)
    wait_for("rackd running", lambda: rackd_of(a, "chan-older") == ("running", ""), 30)
    warned = [n["message"] for n in a.client().get("notifications/").json() if "different versions" in n["message"]]
    assert warned and "chan-older 0.0.1" in warned[0]  # visible to the operator, not fatal
    assert rackd_of(a, "chan-older") == ("running", "")
    assert a.client().delete(f"rackcontrollers/{older.system_id}/").status_code == 204
    assert not [n for n in a.client().get("notifications/").json() if "different versions" in n["message"]]
