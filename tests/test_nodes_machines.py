"""Machines: create, read, delete, and every validation rule of create."""

from __future__ import annotations

import base64
import re
import secrets

import pytest

from ironworks.lab.harness import APIClient, Region


def random_mac() -> str:
    return "52:54:01:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def create(api: APIClient, **data: object) -> object:
    return api.post("machines/", {"architecture": "amd64/generic", "mac_addresses": random_mac(), **data})


def machine_count(region: Region) -> int:
    return region.sql("SELECT count(*) FROM node WHERE node_type = 0")[0][0]


def test_create_machine_with_two_macs(api: APIClient) -> None:
    macs = [random_mac(), random_mac().upper().replace(":", "-")]
    response = api.post("machines/", {"architecture": "amd64", "mac_addresses": macs,
                                      "description": "rack 3, slot 4"})
    assert response.status_code == 200, response.text
    m = response.json()
    assert re.fullmatch(r"[a-z]+-[a-z]+", m["hostname"]), m["hostname"]
    assert m["fqdn"] == m["hostname"] + ".maas"
    assert m["architecture"] == "amd64/generic"  # a bare architecture means generic
    assert (m["status"], m["status_name"], m["node_type"], m["node_type_name"]) == (0, "New", 0, "Machine")
    assert m["description"] == "rack 3, slot 4"
    assert (m["domain"]["name"], m["zone"]["name"], m["pool"]["name"]) == ("maas", "default", "default")
    assert m["resource_uri"] == f"/MAAS/api/2.0/machines/{m['system_id']}/"
    interfaces = m["interface_set"]
    assert [(i["name"], i["type"], i["mac_address"]) for i in interfaces] == [
        ("eth0", "physical", macs[0]), ("eth1", "physical", macs[1].lower().replace("-", ":"))]
    # The VLAN is unknown until the machine is commissioned.
    assert all(i["vlan"] is None and i["links"] == [] and i["effective_mtu"] == 1500 for i in interfaces)
    assert interfaces[0]["resource_uri"] == f"/MAAS/api/2.0/nodes/{m['system_id']}/interfaces/{interfaces[0]['id']}/"
    assert m["boot_interface"] == interfaces[0]
    assert api.get(f"machines/{m['system_id']}/").json() == m


def test_machine_json_passes_python_libmaas_checks(api: APIClient) -> None:
    """The types python-libmaas checks when attributes are read (reference §5.3)."""
    m = create(api, hostname="libmaas-check").json()
    for key in ("system_id", "hostname", "fqdn", "power_type", "status_name"):
        assert isinstance(m[key], str)
    assert m["power_state"] in {"on", "off", "unknown", "error"}
    assert isinstance(m["node_type"], int) and 0 <= m["node_type"] <= 4
    assert isinstance(m["status"], int) and 0 <= m["status"] <= 22
    assert all(isinstance(m[k], dict) for k in ("domain", "zone", "pool", "owner_data"))
    assert m["owner"] is None
    assert all(isinstance(m[k], list) for k in ("tag_names", "ip_addresses", "interface_set"))
    assert isinstance(m["cpu_count"], int) and isinstance(m["memory"], int)
    assert isinstance(m["locked"], bool) and isinstance(m["netboot"], bool)
    assert m["hwe_kernel"] is None and m["min_hwe_kernel"] is None
    assert m["commissioning_status"] == -1 and m["testing_status_name"] == "Unknown"
    assert m["cpu_test_status"] == -1 and m["interface_test_status_name"] == "Unknown"
    assert m["default_gateways"]["ipv4"] == {"gateway_ip": None, "link_id": None}
    assert m["boot_disk"] is None and m["blockdevice_set"] == [] and m["storage"] == 0.0


def test_create_with_everything(api: APIClient, region: Region) -> None:
    api.post("zones/", {"name": "zone-full"})
    api.post("resourcepools/", {"name": "pool-full"})
    api.post("domains/", {"name": "full.example"})
    m = create(api, hostname="full-machine", domain="full.example", zone="zone-full", pool="pool-full",
               power_type="ipmi", power_parameters_power_address="10.9.0.5",
               power_parameters_power_user="admin", power_parameters_power_pass="secret",
               min_hwe_kernel="hwe-22.04").json()
    assert (m["hostname"], m["fqdn"]) == ("full-machine", "full-machine.full.example")
    assert (m["zone"]["name"], m["pool"]["name"], m["power_type"]) == ("zone-full", "pool-full", "ipmi")
    assert m["min_hwe_kernel"] == "hwe-22.04"
    assert "power_pass" not in str(m)  # power parameters are not part of the node JSON
    stored = region.sql("SELECT power_parameters FROM node WHERE system_id = %s", (m["system_id"],))[0][0]
    assert stored == {"power_address": "10.9.0.5", "power_user": "admin", "power_pass": "secret"}


def test_create_as_python_libmaas_does(api: APIClient, region: Region) -> None:
    """Multipart with base64 parts, repeated mac_addresses, power_parameters as JSON."""
    boundary = "===============1234567890123=="
    macs = [random_mac(), random_mac()]
    fields = [("architecture", "arm64/generic"), ("mac_addresses", macs[0]), ("mac_addresses", macs[1]),
              ("power_type", "webhook"),
              ("power_parameters", '{"power_on_uri": "http://pdu/on", "power_off_uri": "http://pdu/off"}')]
    body = "".join(
        f"--{boundary}\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nMIME-Version: 1.0\r\n"
        f"Content-Transfer-Encoding: base64\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n"
        f"{base64.b64encode(v.encode()).decode()}\r\n" for k, v in fields) + f"--{boundary}--\r\n"
    response = api.request("POST", "machines/", content=body.encode(),
                           headers={"Content-Type": f'multipart/form-data; boundary="{boundary}"'})
    assert response.status_code == 200, response.text
    m = response.json()
    assert [i["mac_address"] for i in m["interface_set"]] == macs
    assert (m["architecture"], m["power_type"]) == ("arm64/generic", "webhook")
    stored = region.sql("SELECT power_parameters FROM node WHERE system_id = %s", (m["system_id"],))[0][0]
    assert stored == {"power_on_uri": "http://pdu/on", "power_off_uri": "http://pdu/off"}


def test_subarchitecture_completes_a_bare_architecture(api: APIClient) -> None:
    assert create(api, architecture="amd64", subarchitecture="hwe-22.04").json()["architecture"] == "amd64/hwe-22.04"
    assert create(api, architecture="arm64/generic", subarchitecture="generic").json()["architecture"] == "arm64/generic"


def test_generated_hostnames_are_unique(api: APIClient) -> None:
    names = {create(api).json()["hostname"] for _ in range(5)}
    assert len(names) == 5


# -- validation: every refused create stores nothing --------------------------------------

INVALID = [
    ({"architecture": None}, "architecture", "This field is required."),
    ({"architecture": "sparc"}, "architecture", "'sparc' is not a valid architecture"),
    ({"architecture": "amd64/nonsense"}, "architecture", "is not a valid architecture"),
    ({"mac_addresses": None}, "mac_addresses", "This field is required."),
    ({"mac_addresses": "00:11:22:33:44"}, "mac_addresses", "'00:11:22:33:44' is not a valid MAC address."),
    ({"mac_addresses": "zz:11:22:33:44:55"}, "mac_addresses", "is not a valid MAC address"),
    ({"mac_addresses": ["52:54:02:00:00:01", "52:54:02:00:00:01"]}, "mac_addresses",
     "MAC address 52:54:02:00:00:01 is given more than once."),
    ({"hostname": "bad_host"}, "hostname", "is not a valid hostname"),
    ({"hostname": "-dash"}, "hostname", "is not a valid hostname"),
    ({"hostname": "x" * 64}, "hostname", "is not a valid hostname"),
    ({"hostname": "web.nosuchdomain"}, "hostname", "No domain named 'nosuchdomain' exists."),
    ({"domain": "nosuchdomain"}, "domain", "No domain named 'nosuchdomain' exists."),
    ({"zone": "nosuchzone"}, "zone", "No zone named 'nosuchzone' exists."),
    ({"zone": ""}, "zone", "This field cannot be blank."),
    ({"pool": "nosuchpool"}, "pool", "No resource pool named 'nosuchpool' exists."),
    ({"power_type": "telepathy"}, "power_type",
     "Select a valid choice. 'telepathy' is not one of the available choices"),
    ({"power_type": "ipmi"}, "power_parameters", "power_parameters_power_address (Power address) is required"),
    ({"power_type": "ipmi", "power_parameters_power_address": "10.0.0.1",
      "power_parameters_power_driver": "SERIAL"}, "power_parameters", "'SERIAL' is not a valid power_driver"),
    ({"power_type": "manual", "power_parameters_power_address": "10.0.0.1"}, "power_parameters",
     "Unknown power parameter(s) for power type 'manual': power_address"),
    ({"power_type": "redfish", "power_parameters": "{not json"}, "power_parameters", "must be a JSON object"),
    ({"power_type": "redfish", "power_parameters": "[1, 2]"}, "power_parameters", "must be a JSON object"),
    ({"power_parameters_power_address": "10.0.0.1"}, "power_parameters", "without a power type"),
    ({"min_hwe_kernel": "linux-99"}, "min_hwe_kernel", "is not a valid kernel"),
    ({"architecture": "amd64", "subarchitecture": "nonsense"}, "architecture", "is not a valid architecture"),
    ({"architecture": "amd64/generic", "subarchitecture": "hwe-22.04"}, "subarchitecture",
     "already names sub-architecture 'generic'"),
]


@pytest.mark.parametrize("change,field,message", INVALID, ids=[f"{f}:{i}" for i, (_, f, _m) in enumerate(INVALID)])
def test_invalid_create_is_400_and_stores_nothing(api: APIClient, region: Region, change: dict,
                                                  field: str, message: str) -> None:
    data = {"architecture": "amd64/generic", "mac_addresses": random_mac(), **change}
    data = {k: v for k, v in data.items() if v is not None}
    before = machine_count(region)
    response = api.post("machines/", data)
    assert response.status_code == 400, response.text
    errors = response.json()
    assert field in errors, errors
    assert any(message in text for text in errors[field]), errors
    assert machine_count(region) == before


def test_mac_in_use_is_refused_naming_mac_and_node(api: APIClient, region: Region) -> None:
    mac = random_mac()
    first = create(api, mac_addresses=mac, hostname="mac-owner").json()
    before = machine_count(region)
    response = create(api, mac_addresses=[random_mac(), mac.upper()])
    assert response.status_code == 400
    assert response.json() == {"mac_addresses": [f"MAC address {mac} is already in use on node 'mac-owner'."]}
    assert machine_count(region) == before
    assert api.delete(f"machines/{first['system_id']}/").status_code == 204
    assert create(api, mac_addresses=mac).status_code == 200  # free again once the machine is gone


def test_duplicate_hostname_is_refused(api: APIClient, region: Region) -> None:
    create(api, hostname="twin")
    before = machine_count(region)
    response = create(api, hostname="TWIN")
    assert response.status_code == 400
    assert response.json() == {"hostname": ["A node with hostname 'TWIN' already exists."]}
    assert machine_count(region) == before


def test_skip_check_stores_power_parameters_as_given(api: APIClient, region: Region) -> None:
    m = create(api, power_type="ipmi", power_parameters_skip_check="true",
               power_parameters_custom="x").json()
    stored = region.sql("SELECT power_parameters FROM node WHERE system_id = %s", (m["system_id"],))[0][0]
    assert stored == {"custom": "x"}


def test_creating_needs_an_admin(user_api: APIClient, anon: APIClient, region: Region) -> None:
    before = machine_count(region)
    assert create(user_api).status_code == 403
    assert create(anon).status_code == 401
    assert machine_count(region) == before


# -- read and delete ------------------------------------------------------------------------

def test_unknown_machine_is_404(api: APIClient, region: Region) -> None:
    for response in (api.get("machines/nosuch/"), api.put("machines/nosuch/", {"description": "x"}),
                     api.delete("machines/nosuch/")):
        assert response.status_code == 404
        assert response.text == "No Machine matches the given query."
    # A controller is not a machine.
    region_id = api.get("regioncontrollers/").json()[0]["system_id"]
    assert api.get(f"machines/{region_id}/").status_code == 404
    assert api.delete(f"machines/{region_id}/").status_code == 404


def test_users_can_read_machines_but_not_delete_them(api: APIClient, user_api: APIClient) -> None:
    m = create(api).json()
    assert user_api.get(f"machines/{m['system_id']}/").json()["hostname"] == m["hostname"]
    assert m["system_id"] in [x["system_id"] for x in user_api.get("machines/").json()]
    assert user_api.delete(f"machines/{m['system_id']}/").status_code == 403
    assert api.get(f"machines/{m['system_id']}/").status_code == 200


def test_delete_machine_removes_it_and_its_interfaces(api: APIClient, region: Region) -> None:
    m = create(api).json()
    assert api.delete(f"machines/{m['system_id']}/").status_code == 204
    assert api.get(f"machines/{m['system_id']}/").status_code == 404
    assert region.sql("SELECT count(*) FROM interface WHERE id = %s", (m["interface_set"][0]["id"],))[0][0] == 0


def test_no_lifecycle_operations_are_declared_yet(api: APIClient) -> None:
    m = create(api).json()
    assert api.post(f"machines/{m['system_id']}/", op="power_on").status_code == 405
    response = api.post("machines/", op="allocate")
    assert response.status_code == 400
    assert response.text == "Unrecognised signature: method=POST op=allocate"
