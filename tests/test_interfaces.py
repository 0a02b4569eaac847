"""`nodes/{system_id}/interfaces/`: physical, VLAN, bond and bridge interfaces with their parents
and children, and their links to subnets, with MAAS's rules and messages."""

from __future__ import annotations

import pytest

from ironworks.lab.harness import APIClient, Region

UNTAGGED = "5001"  # the default fabric's untagged VLAN


@pytest.fixture(scope="module")
def machine(api: APIClient, region: Region) -> str:
    created = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                     "mac_addresses": ["52:54:00:12:00:01", "52:54:00:12:00:02"],
                                     "hostname": "ifaces"})
    assert created.status_code == 200, created.text
    system_id = created.json()["system_id"]
    region.sql("UPDATE node SET status = 4 WHERE system_id = %s", (system_id,))  # Ready
    assert api.post("subnets/", {"cidr": "10.71.0.0/24", "gateway_ip": "10.71.0.1"}).status_code == 200
    assert api.post("ipranges/", {"type": "dynamic", "start_ip": "10.71.0.100",
                                  "end_ip": "10.71.0.150"}).status_code == 200
    return system_id


def path(system_id: str, iface: int | None = None) -> str:
    return f"nodes/{system_id}/interfaces/" + (f"{iface}/" if iface is not None else "")


def by_name(api: APIClient, system_id: str, name: str) -> dict:
    return next(i for i in api.get(path(system_id)).json() if i["name"] == name)


def test_physical_interfaces_are_listed_and_created(api: APIClient, machine: str) -> None:
    listed = api.get(path(machine))
    assert listed.status_code == 200
    assert [i["name"] for i in listed.json()] == ["eth0", "eth1"]
    created = api.post(path(machine), {"mac_address": "52:54:00:12:00:03", "vlan": UNTAGGED}, op="create_physical")
    assert created.status_code == 200, created.text
    assert (created.json()["name"], created.json()["vlan"]["id"]) == ("eth2", 5001)
    assert created.json()["resource_uri"] == f"/MAAS/api/2.0/nodes/{machine}/interfaces/{created.json()['id']}/"
    same_mac = api.post(path(machine), {"mac_address": "52:54:00:12:00:01"}, op="create_physical")
    assert same_mac.status_code == 400 and "already in use by ifaces:eth0" in same_mac.text
    same_name = api.post(path(machine), {"mac_address": "52:54:00:12:00:09", "name": "eth0"}, op="create_physical")
    assert same_name.status_code == 400 and "already has an interface named 'eth0'" in same_name.text


def test_a_new_machine_is_not_edited(api: APIClient) -> None:
    new = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                 "mac_addresses": "52:54:00:12:01:01"}).json()["system_id"]
    response = api.post(path(new), {"mac_address": "52:54:00:12:01:02"}, op="create_physical")
    assert response.status_code == 409
    assert "not Ready, Allocated, or Broken" in response.text


def test_vlan_interfaces_need_a_connected_parent_and_a_tagged_vlan_of_its_fabric(api: APIClient, machine: str) -> None:
    eth0 = by_name(api, machine, "eth0")
    tagged = api.post("fabrics/0/vlans/", {"vid": "42"}).json()["id"]
    disconnected = api.post(path(machine), {"vlan": tagged, "parent": eth0["id"]}, op="create_vlan")
    assert disconnected.status_code == 400 and "is disconnected" in disconnected.text
    assert api.put(path(machine, eth0["id"]), {"vlan": UNTAGGED}).status_code == 200
    untagged = api.post(path(machine), {"vlan": UNTAGGED, "parent": "eth0"}, op="create_vlan")
    assert untagged.status_code == 400 and "only belong to a tagged VLAN" in untagged.text
    other_fabric = api.post("fabrics/").json()["id"]
    foreign = api.post(f"fabrics/{other_fabric}/vlans/", {"vid": "43"}).json()["id"]
    response = api.post(path(machine), {"vlan": foreign, "parent": "eth0"}, op="create_vlan")
    assert response.status_code == 400 and "same fabric as its parent" in response.text
    created = api.post(path(machine), {"vlan": tagged, "parent": "eth0"}, op="create_vlan")
    assert created.status_code == 200, created.text
    assert (created.json()["name"], created.json()["type"], created.json()["parents"]) == ("eth0.42", "vlan", ["eth0"])
    assert by_name(api, machine, "eth0")["children"] == ["eth0.42"]
    twice = api.post(path(machine), {"vlan": tagged, "parent": "eth0"}, op="create_vlan")
    assert twice.status_code == 400 and "already has VLAN interface eth0.42" in twice.text
    busy = api.delete(path(machine, eth0["id"]))
    assert busy.status_code == 400 and "has children (eth0.42)" in busy.text
    assert api.delete(path(machine, created.json()["id"])).status_code == 204
    assert by_name(api, machine, "eth0")["children"] == []


def test_bonds_take_free_physical_members_and_bridges_one_parent(api: APIClient, machine: str) -> None:
    bond = api.post(path(machine), {"name": "bond0", "parents": ["eth1", "eth2"], "bond_mode": "802.3ad"},
                    op="create_bond")
    assert bond.status_code == 200, bond.text
    assert bond.json()["parents"] == ["eth1", "eth2"] and bond.json()["mac_address"] == "52:54:00:12:00:02"
    assert bond.json()["params"]["bond_mode"] == "802.3ad"
    again = api.post(path(machine), {"name": "bond1", "parents": ["eth1"]}, op="create_bond")
    assert again.status_code == 400 and "eth1 is already in bond0" in again.text
    not_physical = api.post(path(machine), {"name": "bond2", "parents": ["bond0"]}, op="create_bond")
    assert not_physical.status_code == 400 and "Only physical interfaces can be bonded" in not_physical.text
    unknown = api.post(path(machine), {"name": "bond3", "parents": ["eth9"]}, op="create_bond")
    assert unknown.status_code == 400 and "has no interface 'eth9'" in unknown.text
    bridge = api.post(path(machine), {"name": "br0", "parent": "bond0"}, op="create_bridge")
    assert bridge.status_code == 200, bridge.text
    assert bridge.json()["parents"] == ["bond0"] and bridge.json()["type"] == "bridge"


def test_link_subnet_modes_and_static_address_rules(api: APIClient, machine: str) -> None:
    eth0 = by_name(api, machine, "eth0")
    url = path(machine, eth0["id"])
    static = api.post(url, {"mode": "static", "subnet": "10.71.0.0/24"}, op="link_subnet")
    assert static.status_code == 200, static.text
    link = static.json()["links"][0]
    assert (link["mode"], link["ip_address"]) == ("static", "10.71.0.2")  # .1 is the gateway
    chosen = api.post(url, {"mode": "STATIC", "subnet": "10.71.0.0/24", "ip_address": "10.71.0.50"}, op="link_subnet")
    assert [lk["ip_address"] for lk in chosen.json()["links"]] == ["10.71.0.2", "10.71.0.50"]
    for fields, message in (
        ({"mode": "STATIC", "subnet": "10.71.0.0/24", "ip_address": "10.71.0.50"}, "already in use"),
        ({"mode": "STATIC", "subnet": "10.71.0.0/24", "ip_address": "10.71.0.120"}, "dynamic range"),
        ({"mode": "STATIC", "subnet": "10.71.0.0/24", "ip_address": "10.72.0.5"}, "not in subnet"),
        ({"mode": "AUTO"}, "This field is required"),
        ({"mode": "DHCP", "ip_address": "10.71.0.9"}, "Only STATIC links take an ip_address"),
        ({"mode": "LINK_UP"}, "already has links"),
        ({"mode": "bogus"}, "not one of the available choices"),
    ):
        response = api.post(url, fields, op="link_subnet")
        assert response.status_code in (400, 409) and message in response.text, (fields, response.text)
    # The static addresses are the node's, and held: ipaddresses will not hand them out.
    machine_json = api.get(f"machines/{machine}/").json()
    assert {"10.71.0.2", "10.71.0.50"} <= set(machine_json["ip_addresses"])
    assert api.post("ipaddresses/", {"ip": "10.71.0.2"}, op="reserve").status_code == 409
    unlinked = api.post(url, {"id": link["id"]}, op="unlink_subnet")
    assert [lk["ip_address"] for lk in unlinked.json()["links"]] == ["10.71.0.50"]
    missing = api.post(url, {"id": link["id"]}, op="unlink_subnet")
    assert missing.status_code == 400 and f"no link with id {link['id']}" in missing.text
    disconnected = api.post(url, op="disconnect")
    assert disconnected.status_code == 200
    assert (disconnected.json()["links"], disconnected.json()["vlan"]) == ([], None)


def test_interfaces_of_controllers_and_unknown_objects(api: APIClient, user_api: APIClient, machine: str) -> None:
    region_id = api.get("regioncontrollers/").json()[0]["system_id"]
    assert api.get(path(region_id)).status_code == 200
    assert api.get(path("nosuch")).status_code == 404
    assert api.get(path(machine, 999999)).status_code == 404
    refused = user_api.post(path(machine), {"mac_address": "52:54:00:12:00:77"}, op="create_physical")
    assert refused.status_code == 403


def test_listing_interfaces_costs_the_same_statements_for_few_and_many(api: APIClient, region: Region) -> None:
    system_id = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                       "mac_addresses": "52:54:00:12:02:00"}).json()["system_id"]
    region.sql("UPDATE node SET status = 4 WHERE system_id = %s", (system_id,))
    few = api.get(path(system_id))
    for n in range(1, 11):
        created = api.post(path(system_id), {"mac_address": f"52:54:00:12:02:{n:02x}", "vlan": UNTAGGED},
                           op="create_physical")
        api.post(path(system_id, created.json()["id"]), {"mode": "DHCP"}, op="link_subnet")
    many = api.get(path(system_id))
    assert len(many.json()) == 11
    assert many.headers["X-Ironworks-Queries"] == few.headers["X-Ironworks-Queries"]
