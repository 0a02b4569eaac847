"""VLANs through the API: CRUD by (fabric, vid) and by database id, and the DHCP rules."""

from __future__ import annotations

import itertools
import uuid
from typing import Iterator

import pytest

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import add_node
from ironworks.lab.simrack import RackLoop, connect_existing

PRIMARY_NEEDED = {"__all__": ["dhcp can only be turned on when a primary rack controller is set."]}
RANGE_NEEDED = {"dhcp_on": ["dhcp can only be turned on when a dynamic IP range is defined."]}
_net = itertools.count(1)


def new_vlan(api: APIClient, vid: int = 10, *, dynamic_range: bool = False) -> dict:
    """A VLAN on a fresh fabric, optionally with a subnet and a dynamic range."""
    fabric = api.post("fabrics/").json()
    vlan = api.post(f"fabrics/{fabric['id']}/vlans/", {"vid": str(vid)}).json()
    if dynamic_range:
        n = next(_net)
        assert api.post("subnets/", {"cidr": f"10.{n}.0.0/24", "vlan": vlan["id"]}).status_code == 200
        assert api.post("ipranges/", {"type": "dynamic", "start_ip": f"10.{n}.0.100",
                                      "end_ip": f"10.{n}.0.200"}).status_code == 200
    return vlan


def plug(region: Region, hostname: str, vlan_id: int, node_type: int = 2) -> str:
    """A rack controller (type 2, or 4 = region+rack) with an interface on the VLAN."""
    return add_node(region, f"{hostname}-{uuid.uuid4().hex[:4]}", node_type, vlans=(vlan_id,))[1]


# -- CRUD -------------------------------------------------------------------------------------

def test_create_vlan_and_read_it_both_ways(api: APIClient) -> None:
    fabric = api.post("fabrics/", {"name": "vlan-home"}).json()
    response = api.post(f"fabrics/{fabric['id']}/vlans/", {"vid": "100", "name": "storage",
                                                           "description": "iSCSI", "mtu": "9000"})
    assert response.status_code == 200, response.text
    vlan = response.json()
    assert (vlan["vid"], vlan["name"], vlan["description"], vlan["mtu"]) == (100, "storage", "iSCSI", 9000)
    assert (vlan["fabric"], vlan["fabric_id"], vlan["dhcp_on"]) == ("vlan-home", fabric["id"], False)
    assert vlan["primary_rack"] is None and vlan["secondary_rack"] is None and vlan["relay_vlan"] is None
    assert vlan["resource_uri"] == f"/MAAS/api/2.0/vlans/{vlan['id']}/"
    assert api.get(f"fabrics/{fabric['id']}/vlans/100/").json() == vlan
    assert api.get(f"vlans/{vlan['id']}/").json() == vlan
    assert [v["vid"] for v in api.get(f"fabrics/{fabric['id']}/vlans/").json()] == [0, 100]
    assert api.get(f"fabrics/{fabric['id']}/").json()["vlans"][1] == vlan


def test_vlan_without_a_name_shows_its_vid(api: APIClient) -> None:
    vlan = new_vlan(api, 55)
    assert vlan["name"] == "55"


def test_create_vlan_validation(api: APIClient) -> None:
    fabric = api.post("fabrics/").json()
    path = f"fabrics/{fabric['id']}/vlans/"
    api.post(path, {"vid": "7"})
    cases = [
        ({}, "vid", "This field is required."),
        ({"vid": "abc"}, "vid", "Enter a whole number."),
        ({"vid": "4095"}, "vid", "less than or equal to 4094"),
        ({"vid": "-1"}, "vid", "greater than or equal to 0"),
        ({"vid": "7"}, "vid", "already exists"),
        ({"vid": "0"}, "vid", "already exists"),
        ({"vid": "8", "mtu": "551"}, "mtu", "greater than or equal to 552"),
        ({"vid": "8", "mtu": "65536"}, "mtu", "less than or equal to 65535"),
        ({"vid": "8", "space": "no-such-space"}, "space", "does not exist"),
        ({"vid": "8", "dhcp_on": "maybe"}, "dhcp_on", "not a valid boolean"),
        ({"vid": "8", "dhcp_on": "true"}, "dhcp_on", "dynamic IP range"),
    ]
    for data, key, message in cases:
        response = api.post(path, data)
        assert response.status_code == 400, data
        assert message in " ".join(response.json()[key]), (data, response.text)
    assert [v["vid"] for v in api.get(path).json()] == [0, 7]


def test_unknown_fabric_or_vlan_is_404(api: APIClient) -> None:
    for path in ("fabrics/9999/vlans/", "fabrics/9999/vlans/0/"):
        response = api.get(path)
        assert (response.status_code, response.text) == (404, "No Fabric matches the given query.")
    for path in ("fabrics/0/vlans/999/", "fabrics/0/vlans/abc/", "vlans/999999/", "vlans/abc/"):
        response = api.get(path)
        assert (response.status_code, response.text) == (404, "No VLAN matches the given query.")
    assert api.post("fabrics/9999/vlans/", {"vid": "3"}).status_code == 404


def test_update_vlan_is_partial(api: APIClient) -> None:
    vlan = new_vlan(api, 11)
    path = f"vlans/{vlan['id']}/"
    updated = api.put(path, {"description": "new"}).json()
    assert (updated["description"], updated["vid"], updated["mtu"]) == ("new", 11, 1500)
    updated = api.put(f"fabrics/{vlan['fabric_id']}/vlans/11/", {"name": "eleven", "mtu": "1400"}).json()
    assert (updated["name"], updated["mtu"], updated["description"]) == ("eleven", 1400, "new")


def test_update_vlan_validation_changes_nothing(api: APIClient) -> None:
    vlan = new_vlan(api, 12)
    api.post(f"fabrics/{vlan['fabric_id']}/vlans/", {"vid": "13"})
    path = f"vlans/{vlan['id']}/"
    before = api.get(path).json()
    for data, key in [({"mtu": "100", "name": "x"}, "mtu"), ({"mtu": "big"}, "mtu"), ({"vid": "13"}, "vid"),
                      ({"vid": "5000"}, "vid"), ({"space": "nowhere", "name": "x"}, "space"),
                      ({"relay_vlan": "abc"}, "relay_vlan"), ({"dhcp_on": "perhaps"}, "dhcp_on")]:
        response = api.put(path, data)
        assert response.status_code == 400, data
        assert key in response.json(), response.text
    assert api.get(path).json() == before


def test_renumber_vlan(api: APIClient) -> None:
    vlan = new_vlan(api, 14)
    renumbered = api.put(f"fabrics/{vlan['fabric_id']}/vlans/14/", {"vid": "15"}).json()
    assert (renumbered["id"], renumbered["vid"]) == (vlan["id"], 15)
    assert api.get(f"fabrics/{vlan['fabric_id']}/vlans/14/").status_code == 404
    response = api.put(f"fabrics/{vlan['fabric_id']}/vlans/0/", {"vid": "16"})
    assert response.status_code == 400
    assert "untagged VLAN" in response.json()["vid"][0]


def test_vlan_space_set_by_name_or_id_and_cleared(api: APIClient) -> None:
    space = api.post("spaces/", {"name": "vlan-space"}).json()
    vlan = new_vlan(api, 17)
    path = f"vlans/{vlan['id']}/"
    assert api.put(path, {"space": "vlan-space"}).json()["space"] == "vlan-space"
    assert api.put(path, {"space": ""}).json()["space"] == "undefined"
    assert api.put(path, {"space": str(space["id"])}).json()["space"] == "vlan-space"


def test_delete_vlan(api: APIClient, region: Region) -> None:
    vlan = new_vlan(api, 18)
    assert api.delete(f"fabrics/{vlan['fabric_id']}/vlans/18/").status_code == 204
    assert api.get(f"vlans/{vlan['id']}/").status_code == 404
    other = new_vlan(api, 19)
    assert api.delete(f"vlans/{other['id']}/").status_code == 204


def test_untagged_vlan_cannot_be_deleted(api: APIClient) -> None:
    response = api.delete("fabrics/0/vlans/0/")
    assert response.status_code == 400
    assert "untagged VLAN" in response.text
    assert api.delete("vlans/5001/").status_code == 400
    assert api.get("vlans/5001/").status_code == 200


def test_vlan_in_use_cannot_be_deleted(api: APIClient, region: Region) -> None:
    with_subnet = new_vlan(api, 20)
    api.post("subnets/", {"cidr": "10.200.0.0/24", "vlan": with_subnet["id"]})
    response = api.delete(f"vlans/{with_subnet['id']}/")
    assert response.status_code == 400
    assert "10.200.0.0/24" in response.text
    with_nic = new_vlan(api, 21)
    add_node(region, "vlan-nic-host", 0, vlans=(with_nic["id"],))
    response = api.delete(f"vlans/{with_nic['id']}/")
    assert response.status_code == 400
    assert "vlan-nic-host:eth0" in response.text
    assert api.get(f"vlans/{with_nic['id']}/").status_code == 200


def test_vlan_permissions(api: APIClient, user_api: APIClient) -> None:
    vlan = new_vlan(api, 22)
    assert user_api.get(f"vlans/{vlan['id']}/").status_code == 200
    assert user_api.get(f"fabrics/{vlan['fabric_id']}/vlans/").status_code == 200
    assert user_api.put(f"vlans/{vlan['id']}/", {"mtu": "9000"}).status_code == 403
    assert user_api.post(f"fabrics/{vlan['fabric_id']}/vlans/", {"vid": "23"}).status_code == 403
    assert user_api.delete(f"vlans/{vlan['id']}/").status_code == 403
    assert api.get(f"vlans/{vlan['id']}/").json()["mtu"] == 1500


# -- DHCP -------------------------------------------------------------------------------------

def test_dhcp_on_needs_a_primary_rack(api: APIClient) -> None:
    vlan = new_vlan(api, dynamic_range=True)
    response = api.put(f"vlans/{vlan['id']}/", {"dhcp_on": "true"})
    assert response.status_code == 400
    assert response.json() == PRIMARY_NEEDED
    assert api.get(f"vlans/{vlan['id']}/").json()["dhcp_on"] is False


def test_dhcp_on_needs_a_dynamic_range(api: APIClient, region: Region) -> None:
    vlan = new_vlan(api)
    rack = plug(region, "rack-norange", vlan["id"])
    response = api.put(f"vlans/{vlan['id']}/", {"dhcp_on": "true", "primary_rack": rack})
    assert response.status_code == 400
    assert response.json() == RANGE_NEEDED
    assert api.get(f"vlans/{vlan['id']}/").json()["primary_rack"] is None  # nothing half-written


def test_dhcp_on_as_python_libmaas_sends_it(api: APIClient, region: Region) -> None:
    vlan = new_vlan(api, 30, dynamic_range=True)
    rack = plug(region, "rack-a", vlan["id"])
    # libmaas: PUT fabrics/F/vlans/V/ with dhcp_on, primary_rack and vid (unchanged).
    response = api.put(f"fabrics/{vlan['fabric_id']}/vlans/30/",
                       files={"dhcp_on": (None, "true"), "primary_rack": (None, rack), "vid": (None, "30")})
    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["dhcp_on"], shown["primary_rack"], shown["secondary_rack"], shown["vid"]) == (True, rack, None, 30)


@pytest.fixture(scope="module")
def racks() -> Iterator[RackLoop]:
    """Racks that are really connected (the secondary rule needs a primary that is up)."""
    with RackLoop() as loop:
        yield loop


def test_primary_and_secondary_rules(api: APIClient, region: Region, racks: RackLoop) -> None:
    vlan = new_vlan(api, dynamic_range=True)
    path = f"vlans/{vlan['id']}/"
    one, two = plug(region, "rack-one", vlan["id"]), plug(region, "rack-two", vlan["id"], node_type=4)
    assert api.put(path, {"primary_rack": one, "dhcp_on": "1"}).status_code == 200
    # MAAS: "The primary rack controller must be up and running to set a secondary ..."
    response = api.put(path, {"secondary_rack": two})
    assert response.status_code == 400 and "must be up and running" in response.json()["secondary_rack"][0]
    connect_existing(racks, region, one)
    connect_existing(racks, region, two)

    response = api.put(path, {"secondary_rack": one})
    assert response.json() == {"secondary_rack": [f"{one} is already set as the primary rack controller"]}
    response = api.put(path, {"primary_rack": two, "secondary_rack": two})
    assert response.json() == {"secondary_rack": ["The primary and secondary rack must be different"]}

    shown = api.put(path, {"secondary_rack": two}).json()
    assert (shown["primary_rack"], shown["secondary_rack"]) == (one, two)
    shown = api.put(path, {"primary_rack": ""}).json()  # clearing the primary promotes the secondary
    assert (shown["primary_rack"], shown["secondary_rack"], shown["dhcp_on"]) == (two, None, True)
    api.put(path, {"secondary_rack": one})
    shown = api.put(path, {"primary_rack": one}).json()  # the secondary became the primary
    assert (shown["primary_rack"], shown["secondary_rack"]) == (one, None)

    response = api.put(path, {"primary_rack": ""})  # the only rack of a DHCP VLAN
    assert response.status_code == 400
    assert "DHCP is enabled" in response.json()["primary_rack"][0]
    shown = api.put(path, {"dhcp_on": "false", "primary_rack": ""}).json()
    assert (shown["dhcp_on"], shown["primary_rack"]) == (False, None)


def test_racks_must_be_rack_controllers_on_the_vlan(api: APIClient, region: Region) -> None:
    vlan = new_vlan(api, 40, dynamic_range=True)
    path = f"vlans/{vlan['id']}/"
    machine = add_node(region, "just-a-machine", 0, vlans=(vlan["id"],))[1]
    elsewhere = plug(region, "rack-elsewhere", 5001)
    before = api.get(path).json()
    assert api.put(path, {"primary_rack": "nosuch"}).json() == {
        "primary_rack": ["'nosuch' is not a known rack controller."]}
    assert "is not a rack controller" in api.put(path, {"primary_rack": machine}).json()["primary_rack"][0]
    response = api.put(path, {"primary_rack": elsewhere, "dhcp_on": "true"})
    assert response.status_code == 400
    hostname = region.sql("SELECT hostname FROM node WHERE system_id = %s", (elsewhere,))[0][0]
    assert response.json()["primary_rack"] == [f"{hostname} has no interface on VLAN {vlan['fabric']}.40"]
    assert api.get(path).json() == before


def test_relay_vlan(api: APIClient, region: Region) -> None:
    vlan = new_vlan(api, dynamic_range=True)
    target = new_vlan(api)
    path = f"vlans/{vlan['id']}/"
    shown = api.put(path, {"relay_vlan": str(target["id"])}).json()
    assert shown["relay_vlan"]["id"] == target["id"] and shown["relay_vlan"]["vid"] == target["vid"]
    assert api.put(path, {"relay_vlan": str(vlan["id"])}).json() == {
        "relay_vlan": ["A VLAN cannot relay DHCP to itself."]}
    assert api.put(path, {"relay_vlan": "999999"}).json() == {"relay_vlan": ["No VLAN with id 999999."]}
    # The VLAN relayed to stays while something relays to it.
    assert "DHCP relay" in api.delete(f"vlans/{target['id']}/").text
    rack = plug(region, "rack-relay", vlan["id"])
    shown = api.put(path, {"dhcp_on": "true", "primary_rack": rack}).json()
    assert (shown["dhcp_on"], shown["relay_vlan"]) == (True, None)  # turning DHCP on ends relaying
    shown = api.put(path, {"dhcp_on": "false", "relay_vlan": str(target["id"])}).json()
    assert shown["relay_vlan"]["id"] == target["id"]
    assert api.put(path, {"relay_vlan": ""}).json()["relay_vlan"] is None


def test_vlan_list_shows_dhcp_settings(api: APIClient, region: Region, racks: RackLoop) -> None:
    vlan = new_vlan(api, 50, dynamic_range=True)
    one, two = plug(region, "rack-l1", vlan["id"]), plug(region, "rack-l2", vlan["id"])
    connect_existing(racks, region, one)
    api.put(f"vlans/{vlan['id']}/", {"primary_rack": one, "secondary_rack": two, "dhcp_on": "true"})
    listed = {v["vid"]: v for v in api.get(f"fabrics/{vlan['fabric_id']}/vlans/").json()}
    assert (listed[50]["primary_rack"], listed[50]["secondary_rack"], listed[50]["dhcp_on"]) == (one, two, True)
