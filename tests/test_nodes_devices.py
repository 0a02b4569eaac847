"""`nodes/` (every node type, each as its type renders it; delete by each type's rules;
`op=details`) and `devices/` (create with MACs, parent, hostname and domain; read, update, delete;
`set_owner_data`; owned by their creator)."""

from __future__ import annotations

import secrets
import struct

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import add_node
from ironworks.lab.simrack import RackLoop, connect_existing


def _mac() -> str:
    return "52:54:00:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def _ok(response) -> dict:  # noqa: ANN001
    assert response.status_code == 200, response.text
    return response.json()


def _machine(api: APIClient) -> str:
    return _ok(api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                      "mac_addresses": _mac()}))["system_id"]


def _errors(response) -> dict:  # noqa: ANN001
    assert response.status_code == 400, response.text
    return response.json()


# --- devices ---------------------------------------------------------------------------------

def test_create_a_device_with_macs_parent_hostname_and_domain(api: APIClient) -> None:
    parent = _machine(api)
    macs = [_mac(), _mac()]
    api.post("domains/", {"name": "things"})
    device = _ok(api.post("devices/", {"mac_addresses": macs, "hostname": "phone", "domain": "things",
                                       "parent": parent}))
    assert (device["hostname"], device["fqdn"], device["parent"]) == ("phone", "phone.things", parent)
    assert (device["node_type"], device["node_type_name"], device["owner"]) == (1, "Device", "admin")
    assert [(i["name"], i["mac_address"]) for i in device["interface_set"]] == [("eth0", macs[0]), ("eth1", macs[1])]
    assert device["owner_data"] == {} and device["zone"]["name"] == "default"
    assert device["resource_uri"] == f"/MAAS/api/2.0/devices/{device['system_id']}/"
    assert _ok(api.get(f"devices/{device['system_id']}/")) == device
    assert device["system_id"] in [d["system_id"] for d in _ok(api.get("devices/"))]
    # Filters as for machines; a device is not a machine.
    assert [d["system_id"] for d in _ok(api.get("devices/", hostname="phone"))] == [device["system_id"]]
    assert [d["system_id"] for d in _ok(api.get("devices/", mac_address=macs[1]))] == [device["system_id"]]
    assert api.get(f"machines/{device['system_id']}/").status_code == 404


def test_a_hostname_is_generated_when_none_is_given(api: APIClient) -> None:
    device = _ok(api.post("devices/", {"mac_addresses": _mac()}))
    assert device["hostname"] and device["parent"] is None and device["domain"]["name"] == "maas"


def test_device_rules_and_their_messages(api: APIClient) -> None:
    machine_mac = _mac()
    api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual", "mac_addresses": machine_mac,
                           "hostname": "taken-host"})
    assert "required" in _errors(api.post("devices/", {"hostname": "nomacs"}))["mac_addresses"][0]
    assert "not a valid MAC" in _errors(api.post("devices/", {"mac_addresses": "zz"}))["mac_addresses"][0]
    in_use = _errors(api.post("devices/", {"mac_addresses": machine_mac}))["mac_addresses"][0]
    assert in_use == f"MAC address {machine_mac} is already in use on node 'taken-host'."
    twice = _mac()
    assert "more than once" in _errors(api.post("devices/", {"mac_addresses": [twice, twice]}))["mac_addresses"][0]
    assert "no node has system_id 'nosuch'" in _errors(
        api.post("devices/", {"mac_addresses": _mac(), "parent": "nosuch"}))["parent"][0]
    assert "already exists" in _errors(
        api.post("devices/", {"mac_addresses": _mac(), "hostname": "taken-host"}))["hostname"][0]
    assert "not a valid hostname" in _errors(
        api.post("devices/", {"mac_addresses": _mac(), "hostname": "-bad-"}))["hostname"][0]
    assert _errors(api.post("devices/", {"mac_addresses": _mac(), "domain": "nosuchdomain"}))["domain"]
    # Nothing refused was kept.
    assert not [d for d in _ok(api.get("devices/")) if d["hostname"] in ("nomacs", "taken-host", "-bad-")]


def test_update_a_device(api: APIClient) -> None:
    parent = _machine(api)
    device = _ok(api.post("devices/", {"mac_addresses": _mac(), "hostname": "before"}))["system_id"]
    updated = _ok(api.put(f"devices/{device}/", {"hostname": "after", "parent": parent, "description": "a phone"}))
    assert (updated["hostname"], updated["parent"], updated["description"]) == ("after", parent, "a phone")
    assert _ok(api.put(f"devices/{device}/", {"parent": ""}))["parent"] is None
    assert "own parent" in _errors(api.put(f"devices/{device}/", {"parent": device}))["parent"][0]
    assert "no node has" in _errors(api.put(f"devices/{device}/", {"parent": "nosuch"}))["parent"][0]
    assert _ok(api.get(f"devices/{device}/"))["hostname"] == "after"


def test_set_owner_data(api: APIClient) -> None:
    device = _ok(api.post("devices/", {"mac_addresses": _mac()}))["system_id"]
    data = _ok(api.post(f"devices/{device}/", {"rack": "r12", "slot": "4"}, op="set_owner_data"))["owner_data"]
    assert data == {"rack": "r12", "slot": "4"}
    data = _ok(api.post(f"devices/{device}/", {"rack": "", "row": "b"}, op="set_owner_data"))["owner_data"]
    assert data == {"slot": "4", "row": "b"}
    assert _ok(api.get(f"devices/{device}/"))["owner_data"] == {"slot": "4", "row": "b"}
    too_long = api.post(f"devices/{device}/", {"k": "x" * 9000}, op="set_owner_data")
    assert too_long.status_code == 400 and "at most 8192" in too_long.text


def test_deleting_a_parent_deletes_its_devices(api: APIClient) -> None:
    parent = _machine(api)
    device = _ok(api.post("devices/", {"mac_addresses": _mac(), "parent": parent}))["system_id"]
    assert api.delete(f"machines/{parent}/").status_code == 204
    assert api.get(f"devices/{device}/").status_code == 404


def test_users_own_their_devices(api: APIClient, user_api: APIClient) -> None:
    mine = _ok(user_api.post("devices/", {"mac_addresses": _mac(), "hostname": "alices-phone"}))
    assert mine["owner"] == "alice"
    theirs = _ok(api.post("devices/", {"mac_addresses": _mac(), "hostname": "admins-phone"}))["system_id"]
    assert [d["hostname"] for d in _ok(user_api.get("devices/"))] == ["alices-phone"]
    assert "alices-phone" in [d["hostname"] for d in _ok(api.get("devices/"))]
    for response in (user_api.get(f"devices/{theirs}/"), user_api.put(f"devices/{theirs}/", {"hostname": "x"}),
                     user_api.post(f"devices/{theirs}/", {"a": "b"}, op="set_owner_data"),
                     user_api.delete(f"devices/{theirs}/"), user_api.get(f"nodes/{theirs}/"),
                     user_api.delete(f"nodes/{theirs}/")):
        assert response.status_code == 403, response.text
    assert theirs not in [n["system_id"] for n in _ok(user_api.get("nodes/"))]
    assert _ok(user_api.put(f"devices/{mine['system_id']}/", {"description": "mine"}))["description"] == "mine"
    assert user_api.delete(f"devices/{mine['system_id']}/").status_code == 204
    assert api.get(f"devices/{theirs}/").status_code == 200


# --- nodes -----------------------------------------------------------------------------------

def test_nodes_lists_every_type_as_its_type_renders(api: APIClient, region: Region) -> None:
    machine = _machine(api)
    device = _ok(api.post("devices/", {"mac_addresses": _mac(), "parent": machine}))["system_id"]
    _, rack = add_node(region, "nodes-rack")
    listed = {n["system_id"]: n for n in _ok(api.get("nodes/"))}
    assert {machine, device, rack} <= set(listed)
    assert (listed[machine]["node_type"], listed[machine]["node_type_name"]) == (0, "Machine")
    assert (listed[device]["node_type"], listed[device]["node_type_name"]) == (1, "Device")
    assert (listed[rack]["node_type"], listed[rack]["node_type_name"]) == (2, "Rack controller")
    assert {n["node_type"] for n in listed.values()} >= {0, 1, 2, 3}  # the test's own region is listed too
    # Each exactly as its own collection renders it.
    assert listed[machine] == _ok(api.get(f"machines/{machine}/"))
    assert listed[device] == _ok(api.get(f"devices/{device}/"))
    assert listed[rack] == _ok(api.get(f"rackcontrollers/{rack}/"))
    assert _ok(api.get(f"nodes/{device}/")) == listed[device]
    assert _ok(api.get(f"nodes/{rack}/"))["service_set"] == [
        {"name": "rackd", "status": "dead", "status_info": "Not connected to any region controllers."}]
    # Node filters, as for machines.
    assert [n["system_id"] for n in _ok(api.get("nodes/", id=[machine, device]))] == [machine, device]
    assert [n["system_id"] for n in _ok(api.get("nodes/", hostname="nodes-rack"))] == [rack]
    assert _errors(api.get("nodes/", status="nosuch"))["status"]
    missing = api.get("nodes/nosuch/")
    assert (missing.status_code, missing.text) == (404, "No Node matches the given query.")


def test_deleting_nodes_follows_each_types_rules(api: APIClient, user_api: APIClient, region: Region) -> None:
    with RackLoop() as racks:
        _deleting_nodes_follows_each_types_rules(api, user_api, region, racks)


def _deleting_nodes_follows_each_types_rules(api: APIClient, user_api: APIClient, region: Region,
                                             racks: RackLoop) -> None:
    machine = _machine(api)
    assert user_api.delete(f"nodes/{machine}/").status_code == 403
    assert api.delete(f"nodes/{machine}/").status_code == 204
    assert api.get(f"machines/{machine}/").status_code == 404
    device = _ok(api.post("devices/", {"mac_addresses": _mac()}))["system_id"]
    assert api.delete(f"nodes/{device}/").status_code == 204
    assert api.get(f"devices/{device}/").status_code == 404

    # A running region cannot be deleted; a stopped one can.
    _, running = add_node(region, "nodes-region-up", 3, services={"regiond": "running"})
    refused = api.delete(f"nodes/{running}/")
    assert refused.status_code == 400 and "it is running" in refused.text
    assert api.get(f"nodes/{running}/").status_code == 200
    _, stopped = add_node(region, "nodes-region-off", 3, services={"regiond": "off"})
    assert api.delete(f"nodes/{stopped}/").status_code == 204

    # A rack that alone serves DHCP on a VLAN cannot go (no force here); the VLAN keeps DHCP.
    fabric = _ok(api.post("fabrics/"))["id"]
    vlan = _ok(api.get(f"fabrics/{fabric}/"))["vlans"][0]["id"]
    _, rack = add_node(region, "nodes-dhcp-rack", vlans=[vlan])
    region.sql("UPDATE vlan SET dhcp_on = true, primary_rack_id = (SELECT id FROM node WHERE system_id = %s) "
               "WHERE id = %s", (rack, vlan))
    refused = api.delete(f"nodes/{rack}/")
    assert refused.status_code == 400 and "nodes-dhcp-rack" in refused.text, refused.text
    assert _ok(api.get(f"vlans/{vlan}/"))["dhcp_on"] is True
    # With a second rack on the VLAN, DHCP moves to it and the delete goes through.
    _, other = add_node(region, "nodes-dhcp-rack-2", vlans=[vlan])
    connect_existing(racks, region, other)  # only a connected rack can take DHCP over
    assert api.delete(f"nodes/{rack}/").status_code == 204
    assert _ok(api.get(f"vlans/{vlan}/"))["primary_rack"] == other

    # A region+rack that is running is refused whole: it stays region+rack.
    _, both = add_node(region, "nodes-both", 4, services={"regiond": "running"})
    assert api.delete(f"nodes/{both}/").status_code == 400
    assert _ok(api.get(f"nodes/{both}/"))["node_type"] == 4


def _bson_fields(blob: bytes) -> dict[str, object]:
    """Decode a flat BSON document of null (0x0A) and binary (0x05) values."""
    (length,) = struct.unpack_from("<i", blob)
    assert length == len(blob) and blob[-1] == 0
    fields: dict[str, object] = {}
    pos = 4
    while blob[pos] != 0:
        kind, end = blob[pos], blob.index(b"\x00", pos + 1)
        key, pos = blob[pos + 1:end].decode(), end + 1
        if kind == 0x0A:
            fields[key] = None
        else:
            assert kind == 0x05
            (size,) = struct.unpack_from("<i", blob, pos)
            fields[key], pos = blob[pos + 5:pos + 5 + size], pos + 5 + size
    return fields


def test_details_of_a_node_never_commissioned(api: APIClient) -> None:
    machine = _machine(api)
    response = api.get(f"nodes/{machine}/", op="details")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/bson"
    assert _bson_fields(response.content) == {"lshw": None, "lldp": None}
    assert api.get("nodes/nosuch/", op="details").status_code == 404
