"""Listing networking objects costs a fixed number of SQL statements, whatever the row count
(MAAS once ran 18,004 queries to build one DHCP config)."""

from __future__ import annotations

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import add_node

LISTS = ("fabrics/", "spaces/", "subnets/", "ipranges/")


def queries(api: APIClient, path: str) -> int:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return int(response.headers["X-Ironworks-Queries"])


def populate(api: APIClient, region: Region, n: int, vlan_fabric: int, done: int) -> None:
    """Objects number done+1..n of each kind, with every relation filled in: a space, racks,
    a relay VLAN, a subnet with a gateway, a range with its user."""
    (rack_id,), = region.sql("SELECT id FROM node WHERE system_id = 'qrack1'") or \
        [add_node(region, "qrack1", system_id="qrack1")[:1]]
    for i in range(done + 1, n + 1):
        space = api.post("spaces/", {"name": f"q-space-{i}"}).json()
        fabric = api.post("fabrics/", {"name": f"q-fabric-{i}"}).json()
        vlan = api.post(f"fabrics/{fabric['id']}/vlans/", {"vid": "10", "space": space["name"]}).json()
        extra = api.post(f"fabrics/{vlan_fabric}/vlans/", {"vid": str(100 + i)}).json()
        region.sql("UPDATE vlan SET primary_rack_id = %s, secondary_rack_id = %s, relay_vlan_id = %s "
                   "WHERE id IN (%s, %s)", (rack_id, rack_id, fabric["vlans"][0]["id"], vlan["id"], extra["id"]))
        subnet = api.post("subnets/", {"cidr": f"10.{i}.0.0/24", "vlan": vlan["id"],
                                       "gateway_ip": f"10.{i}.0.1"}).json()
        assert api.post("ipranges/", {"type": "dynamic", "start_ip": f"10.{i}.0.100", "end_ip": f"10.{i}.0.200",
                                      "subnet": str(subnet["id"])}).status_code == 200


def test_list_endpoints_use_a_fixed_number_of_queries(api: APIClient, region: Region) -> None:
    vlan_fabric = api.post("fabrics/", {"name": "q-many-vlans"}).json()["id"]
    paths = [*LISTS, f"fabrics/{vlan_fabric}/vlans/"]
    populate(api, region, 2, vlan_fabric, 0)
    few = {p: queries(api, p) for p in paths}
    populate(api, region, 30, vlan_fabric, 2)
    many = {p: queries(api, p) for p in paths}
    assert len(api.get("ipranges/").json()) == 30
    assert len(api.get(f"fabrics/{vlan_fabric}/vlans/").json()) == 31
    assert all(s["vlans"] and s["subnets"] for s in api.get("spaces/").json())
    assert many == few, (few, many)
    # And small: authentication (the key, then its nonce remembered) plus a handful of bulk
    # reads: 5 at most today.
    assert max(many.values()) <= 6, many
