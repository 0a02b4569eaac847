"""Rack and region controllers: read, update, and the delete rules (DHCP hand-over, running
regions, region+rack nodes).  Racks are written into the database (lab/nodes.add_node);
those that must count as connected are brought to life by a simulated rack (lab/simrack)."""

from __future__ import annotations

import itertools
import random
from typing import Iterator

import pytest

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import NOT_CONNECTED, add_node, random_mac
from ironworks.lab.simrack import RackLoop, connect_existing

_vids = itertools.count(random.randint(100, 3000))


@pytest.fixture(scope="module")
def racks() -> Iterator[RackLoop]:
    """Connected racks: only they can take over DHCP from a deleted one."""
    with RackLoop() as loop:
        yield loop


def add_vlan(region: Region, primary: int | None = None, secondary: int | None = None,
             dhcp_on: bool = True) -> tuple[int, int]:
    vid = next(_vids)
    vlan_id = region.sql(
        "INSERT INTO vlan (fabric_id, vid, dhcp_on, primary_rack_id, secondary_rack_id) "
        "VALUES (0, %s, %s, %s, %s) RETURNING id", (vid, dhcp_on, primary, secondary))[0][0]
    return vlan_id, vid


def roles(region: Region, vlan_id: int) -> tuple:
    return tuple(region.sql("SELECT primary_rack_id, secondary_rack_id, dhcp_on FROM vlan WHERE id = %s",
                            (vlan_id,))[0])


def node_type(region: Region, node_id: int) -> int | None:
    rows = region.sql("SELECT node_type FROM node WHERE id = %s", (node_id,))
    return rows[0][0] if rows else None


def test_rack_json_has_services_interfaces_and_links(api: APIClient, region: Region) -> None:
    node_id, system_id = add_node(region, "rack-json", vlans=(5001,),
                                  services={"tftp": "degraded", "dhcpd": "off"})
    region.sql("INSERT INTO subnet (name, cidr, vlan_id, gateway_ip) VALUES ('rack-json-net', "
               "'10.77.0.0/24', 5001, '10.77.0.1') ON CONFLICT DO NOTHING")
    region.sql("INSERT INTO ip_address (ip, alloc_type, subnet_id, interface_id) SELECT '10.77.0.5', 'sticky', "
               "(SELECT id FROM subnet WHERE name = 'rack-json-net'), id FROM interface WHERE node_id = %s",
               (node_id,))
    rack = api.get(f"rackcontrollers/{system_id}/").json()
    assert (rack["hostname"], rack["node_type"], rack["node_type_name"]) == ("rack-json", 2, "Rack controller")
    assert rack["resource_uri"] == f"/MAAS/api/2.0/rackcontrollers/{system_id}/"
    assert rack["service_set"] == [{"name": "dhcpd", "status": "off", "status_info": ""},
                                   {"name": "rackd", "status": "dead", "status_info": NOT_CONNECTED},
                                   {"name": "tftp", "status": "degraded", "status_info": ""}]
    iface = rack["interface_set"][0]
    assert (iface["vlan"]["id"], iface["vlan"]["fabric"], iface["effective_mtu"]) == (5001, "fabric-0", 1500)
    link = iface["links"][0]
    assert (link["mode"], link["ip_address"], link["subnet"]["cidr"]) == ("static", "10.77.0.5", "10.77.0.0/24")
    assert link["subnet"]["vlan"] == iface["vlan"]
    assert rack["ip_addresses"] == ["10.77.0.5"]
    assert system_id in [r["system_id"] for r in api.get("rackcontrollers/", hostname="rack-json").json()]
    assert api.get(f"machines/{system_id}/").status_code == 404


def test_region_list_shows_the_running_region(api: APIClient) -> None:
    regions = api.get("regioncontrollers/").json()
    running = [r for r in regions
               if any(s["name"] == "regiond" and s["status"] == "running" for s in r["service_set"])]
    assert running, regions
    assert running[0]["resource_uri"].startswith("/MAAS/api/2.0/regioncontrollers/")
    assert running[0]["node_type"] in (3, 4)


def test_region_and_rack_node_is_listed_as_both(api: APIClient, region: Region) -> None:
    _, system_id = add_node(region, "both-roles", node_type=4)
    assert system_id in [r["system_id"] for r in api.get("rackcontrollers/").json()]
    assert system_id in [r["system_id"] for r in api.get("regioncontrollers/").json()]
    assert api.get(f"regioncontrollers/{system_id}/").json()["node_type_name"] == "Region and rack controller"


def test_update_rack(api: APIClient, region: Region) -> None:
    api.post("zones/", {"name": "rack-zone"})
    node_id, system_id = add_node(region, "rack-update")
    response = api.put(f"rackcontrollers/{system_id}/", {
        "description": "top of rack", "zone": "rack-zone", "power_type": "ipmi",
        "power_parameters_power_address": "10.3.3.3"})
    assert response.status_code == 200, response.text
    rack = response.json()
    assert (rack["description"], rack["zone"]["name"], rack["power_type"]) == ("top of rack", "rack-zone", "ipmi")
    assert api.put(f"rackcontrollers/{system_id}/", {"zone": "nowhere"}).json() == {
        "zone": ["No zone named 'nowhere' exists."]}
    assert api.put(f"rackcontrollers/{system_id}/", {"power_type": "x"}).status_code == 400
    assert api.get(f"rackcontrollers/{system_id}/").json()["zone"]["name"] == "rack-zone"


def test_update_region(api: APIClient, region: Region) -> None:
    _, system_id = add_node(region, "region-update", node_type=3, services={"regiond": "off"})
    updated = api.put(f"regioncontrollers/{system_id}/", {"description": "spare"}).json()
    assert updated["description"] == "spare"
    assert api.put(f"regioncontrollers/{system_id}/", {"domain": "nowhere"}).status_code == 400


def test_controller_writes_need_an_admin(api: APIClient, user_api: APIClient, region: Region) -> None:
    _, rack_id = add_node(region, "rack-perm")
    _, region_id = add_node(region, "region-perm", node_type=3, services={"regiond": "off"})
    assert user_api.get(f"rackcontrollers/{rack_id}/").status_code == 200
    assert user_api.put(f"rackcontrollers/{rack_id}/", {"description": "x"}).status_code == 403
    assert user_api.delete(f"rackcontrollers/{rack_id}/").status_code == 403
    assert user_api.put(f"regioncontrollers/{region_id}/", {"description": "x"}).status_code == 403
    assert user_api.delete(f"regioncontrollers/{region_id}/").status_code == 403
    assert api.get(f"rackcontrollers/{rack_id}/").json()["description"] == ""


def test_unknown_controllers_are_404(api: APIClient) -> None:
    assert api.get("rackcontrollers/nosuch/").text == "No RackController matches the given query."
    assert api.delete("rackcontrollers/nosuch/").status_code == 404
    assert api.get("regioncontrollers/nosuch/").text == "No RegionController matches the given query."
    assert api.delete("regioncontrollers/nosuch/").status_code == 404


# -- deleting racks: DHCP hand-over --------------------------------------------------------

def test_deleting_a_primary_promotes_the_secondary_and_recruits_a_new_one(api: APIClient, region: Region,
                                                                         racks: RackLoop) -> None:
    vlan_id, _ = add_vlan(region)
    primary, primary_sid = add_node(region, "dhcp-primary")
    secondary, _ = add_node(region, "dhcp-secondary")
    add_node(region, "dhcp-offline", vlans=(vlan_id,))  # on the VLAN but not connected: passed over
    spare, spare_sid = add_node(region, "dhcp-spare", vlans=(vlan_id,))
    connect_existing(racks, region, spare_sid)
    region.sql("UPDATE vlan SET primary_rack_id = %s, secondary_rack_id = %s WHERE id = %s",
               (primary, secondary, vlan_id))
    assert api.delete(f"rackcontrollers/{primary_sid}/").status_code == 204
    assert roles(region, vlan_id) == (secondary, spare, True)
    assert node_type(region, primary) is None


def test_deleting_a_lone_primary_hands_dhcp_to_another_rack_on_the_vlan(api: APIClient, region: Region,
                                                                        racks: RackLoop) -> None:
    vlan_id, _ = add_vlan(region)
    primary, primary_sid = add_node(region, "lone-primary", vlans=(vlan_id,))
    other, other_sid = add_node(region, "lone-other", vlans=(vlan_id,))
    connect_existing(racks, region, other_sid)
    _, elsewhere = add_node(region, "lone-elsewhere", vlans=(5001,))  # not on the VLAN: not a candidate
    connect_existing(racks, region, elsewhere)
    region.sql("UPDATE vlan SET primary_rack_id = %s WHERE id = %s", (primary, vlan_id))
    assert api.delete(f"rackcontrollers/{primary_sid}/").status_code == 204
    assert roles(region, vlan_id) == (other, None, True)


def test_deleting_the_only_dhcp_rack_is_refused_unless_forced(api: APIClient, region: Region) -> None:
    vlan_a, vid_a = add_vlan(region)
    vlan_b, vid_b = add_vlan(region)
    rack, system_id = add_node(region, "only-dhcp", vlans=(vlan_a, vlan_b))
    region.sql("UPDATE vlan SET primary_rack_id = %s WHERE id IN (%s, %s)", (rack, vlan_a, vlan_b))
    response = api.delete(f"rackcontrollers/{system_id}/")
    assert response.status_code == 400
    first, second = sorted([vid_a, vid_b])
    assert response.text == (
        f"Unable to delete 'only-dhcp'; it is currently set as a primary rack controller on VLANs "
        f"fabric-0.{first}, fabric-0.{second} and no other rack controller can provide DHCP.")
    assert node_type(region, rack) == 2 and roles(region, vlan_a) == (rack, None, True)
    assert api.delete(f"rackcontrollers/{system_id}/", force="false").status_code == 400
    assert api.delete(f"rackcontrollers/{system_id}/", force="true").status_code == 204
    assert roles(region, vlan_a) == (None, None, False) and roles(region, vlan_b) == (None, None, False)
    assert node_type(region, rack) is None


def test_force_may_come_in_the_body(api: APIClient, region: Region) -> None:
    vlan_id, _ = add_vlan(region)
    rack, system_id = add_node(region, "force-body")
    region.sql("UPDATE vlan SET primary_rack_id = %s WHERE id = %s", (rack, vlan_id))
    response = api.request("DELETE", f"rackcontrollers/{system_id}/", data={"force": "1"})
    assert response.status_code == 204
    assert roles(region, vlan_id) == (None, None, False)


def test_deleting_a_secondary_replaces_or_clears_it(api: APIClient, region: Region) -> None:
    vlan_id, _ = add_vlan(region)
    primary, _ = add_node(region, "sec-primary", vlans=(vlan_id,))
    secondary, secondary_sid = add_node(region, "sec-secondary", vlans=(vlan_id,))
    region.sql("UPDATE vlan SET primary_rack_id = %s, secondary_rack_id = %s WHERE id = %s",
               (primary, secondary, vlan_id))
    assert api.delete(f"rackcontrollers/{secondary_sid}/").status_code == 204
    assert roles(region, vlan_id) == (primary, None, True)


def test_region_and_rack_deleted_as_rack_stays_a_region(api: APIClient, region: Region, racks: RackLoop) -> None:
    vlan_id, _ = add_vlan(region)
    node_id, system_id = add_node(region, "both-delete-rack", node_type=4, vlans=(vlan_id,),
                                  services={"regiond": "running"})
    other, other_sid = add_node(region, "both-delete-peer", vlans=(vlan_id,))
    connect_existing(racks, region, other_sid)
    region.sql("UPDATE vlan SET primary_rack_id = %s WHERE id = %s", (node_id, vlan_id))
    assert api.delete(f"rackcontrollers/{system_id}/").status_code == 204
    assert node_type(region, node_id) == 3
    assert roles(region, vlan_id) == (other, None, True)
    assert api.get(f"rackcontrollers/{system_id}/").status_code == 404
    services = [s["name"] for s in api.get(f"regioncontrollers/{system_id}/").json()["service_set"]]
    assert "rackd" not in services and "regiond" in services


# -- deleting regions -----------------------------------------------------------------------

def test_running_region_cannot_be_deleted(api: APIClient) -> None:
    me = next(r for r in api.get("regioncontrollers/").json()
              if any(s["name"] == "regiond" and s["status"] == "running" for s in r["service_set"]))
    response = api.delete(f"regioncontrollers/{me['system_id']}/")
    assert response.status_code == 400
    assert response.text == f"Unable to delete '{me['hostname']}'; it is running: stop its maas-regiond first."
    assert api.get(f"regioncontrollers/{me['system_id']}/").status_code == 200


def test_stopped_region_can_be_deleted(api: APIClient, region: Region) -> None:
    node_id, system_id = add_node(region, "stopped-region", node_type=3, services={"regiond": "off"})
    assert api.delete(f"regioncontrollers/{system_id}/").status_code == 204
    assert node_type(region, node_id) is None


def test_region_and_rack_deleted_as_region_stays_a_rack(api: APIClient, region: Region) -> None:
    node_id, system_id = add_node(region, "both-delete-region", node_type=4,
                                  services={"regiond": "off"})
    assert api.delete(f"regioncontrollers/{system_id}/").status_code == 204
    assert node_type(region, node_id) == 2
    services = [s["name"] for s in api.get(f"rackcontrollers/{system_id}/").json()["service_set"]]
    assert services == ["rackd"]


@pytest.mark.parametrize("path", ["rackcontrollers", "regioncontrollers"])
def test_machines_are_not_controllers(api: APIClient, path: str) -> None:
    m = api.post("machines/", {"architecture": "amd64", "mac_addresses": random_mac()}).json()
    assert api.get(f"{path}/{m['system_id']}/").status_code == 404
    assert api.delete(f"{path}/{m['system_id']}/").status_code == 404
    assert api.get(f"machines/{m['system_id']}/").status_code == 200
