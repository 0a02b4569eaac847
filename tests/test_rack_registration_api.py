"""A registered rack as the API shows it: interfaces with links, subnets and VLANs, addresses,
version and services; the listing's statement count does not grow with the racks."""

from __future__ import annotations

from typing import Any

import pytest

from ironworks import __version__
from ironworks.common.protocol.interfaces import InterfaceReport
from ironworks.db.connect import Target, run_in_transaction
from ironworks.lab.harness import DB_PASSWORD, APIClient, Region
from ironworks.region.services.controllers import racks


def register(region: Region, hostname: str, interfaces: list[InterfaceReport], version: str = "") -> racks.RegisteredRack:
    target = Target("127.0.0.1", region.cluster.pg.port, region.dbname, "maas", DB_PASSWORD)
    return run_in_transaction(target, lambda conn: racks.register_rack(
        conn, system_id=None, hostname=hostname, interfaces=interfaces, version=version or __version__))


def report(n: int) -> list[InterfaceReport]:
    mac = f"52:54:00:10:{n // 256:02x}:{n % 256:02x}"
    return [
        InterfaceReport(name="eth0", type="physical", mac_address=mac, addresses=[f"10.{100 + n // 200}.{n % 200}.2/16"]),
        InterfaceReport(name="eth0.30", type="vlan", mac_address=mac, parents=["eth0"], vid=30,
                        addresses=[f"10.30.{n}.1/24"]),
    ]


def by_name(items: list[dict], key: str = "name") -> dict[str, Any]:
    return {i[key]: i for i in items}


def test_a_registered_rack_reads_with_its_network_and_services(region: Region, api: APIClient) -> None:
    rack = register(region, "rack-api", [
        InterfaceReport(name="eth0", type="physical", mac_address="52:54:00:aa:bb:01",
                        addresses=["10.55.0.2/24", "fd55::2/64"]),
        InterfaceReport(name="eth1", type="physical", mac_address="52:54:00:aa:bb:02"),
        InterfaceReport(name="br0", type="bridge", mac_address="52:54:00:aa:bb:02", parents=["eth1"],
                        addresses=["10.56.0.1/24"]),
    ], version="3.4.5")
    assert region.sql("UPDATE service SET status = 'running' WHERE node_id = %s AND name = 'tftp' RETURNING id",
                      (rack.node_id,))
    response = api.get(f"rackcontrollers/{rack.system_id}/")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["hostname"], body["node_type"], body["version"]) == ("rack-api", 2, "3.4.5")
    assert sorted(body["ip_addresses"]) == ["10.55.0.2", "10.56.0.1", "fd55::2"]
    ifaces = by_name(body["interface_set"])
    assert sorted(ifaces) == ["br0", "eth0", "eth1"]
    eth0 = ifaces["eth0"]
    assert (eth0["type"], eth0["mac_address"], eth0["enabled"]) == ("physical", "52:54:00:aa:bb:01", True)
    links = {link["ip_address"]: link for link in eth0["links"]}
    assert sorted(links) == ["10.55.0.2", "fd55::2"]
    assert links["10.55.0.2"]["mode"] == "static"
    assert links["10.55.0.2"]["subnet"]["cidr"] == "10.55.0.0/24"
    assert links["10.55.0.2"]["subnet"]["name"] == "10.55.0.0/24"
    assert eth0["vlan"]["vid"] == 0 and eth0["vlan"]["fabric"] != "fabric-0"  # a new fabric
    assert ifaces["br0"]["parents"] == ["eth1"] and ifaces["eth1"]["children"] == ["br0"]
    assert ifaces["br0"]["vlan"]["id"] == ifaces["eth1"]["vlan"]["id"] != eth0["vlan"]["id"]
    services = by_name(body["service_set"])
    assert services["rackd"] == {"name": "rackd", "status": "dead", "status_info": racks.NOT_CONNECTED}
    assert services["tftp"]["status"] == "running" and services["dhcpd"]["status"] == "off"
    assert len(services) == 9
    listed = by_name(api.get("rackcontrollers/").json(), "system_id")
    assert listed[rack.system_id]["interface_set"] == body["interface_set"]
    assert listed[rack.system_id]["service_set"] == body["service_set"]
    # The fabric and subnet the rack brought show up in their own listings too.
    fabric = api.get(f"fabrics/{eth0['vlan']['fabric_id']}/").json()
    assert fabric["name"] == eth0["vlan"]["fabric"]


@pytest.mark.parametrize("first,more", [(3, 9)])
def test_listing_registered_racks_costs_the_same_queries_for_few_and_many(
        region: Region, api: APIClient, first: int, more: int) -> None:
    def count() -> tuple[int, list]:
        response = api.get("rackcontrollers/")
        assert response.status_code == 200
        return int(response.headers["X-Ironworks-Queries"]), response.json()

    for n in range(first):
        register(region, f"many-{n}", report(n))
    few, body = count()
    for n in range(first, first + more):
        register(region, f"many-{n}", report(n))
    many, body = count()
    assert many == few
    mine = [r for r in body if r["hostname"].startswith("many-")]
    assert len(mine) == first + more
    for rack in mine:
        vlan_iface = by_name(rack["interface_set"])["eth0.30"]
        assert vlan_iface["vlan"]["vid"] == 30 and vlan_iface["links"][0]["subnet"]["cidr"].startswith("10.30.")
        assert len(rack["service_set"]) == 9
