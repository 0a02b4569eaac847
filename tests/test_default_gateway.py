"""`nodes/{system_id}/interfaces/{id}/?op=set_default_gateway`: a node's default IPv4 and IPv6
gateways, chosen from an interface's links on subnets with a gateway, each family kept apart,
and shown in the machine's `default_gateways`."""

from __future__ import annotations

import pytest

from ironworks.lab.harness import APIClient, Region

UNTAGGED = "5001"  # the default fabric's untagged VLAN
NONE_CHOSEN = {"gateway_ip": None, "link_id": None}


@pytest.fixture(scope="module")
def machine(api: APIClient, region: Region) -> str:
    created = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                     "mac_addresses": ["52:54:00:13:00:01", "52:54:00:13:00:02"],
                                     "hostname": "gateways"})
    assert created.status_code == 200, created.text
    system_id = created.json()["system_id"]
    region.sql("UPDATE node SET status = 4 WHERE system_id = %s", (system_id,))  # Ready
    for cidr, gateway in (("10.72.0.0/24", "10.72.0.1"), ("10.73.0.0/24", "10.73.0.1"),
                          ("10.74.0.0/24", None), ("fd00:72::/64", "fd00:72::1")):
        fields = {"cidr": cidr, "vlan": UNTAGGED, **({"gateway_ip": gateway} if gateway else {})}
        assert api.post("subnets/", fields).status_code == 200
    return system_id


def url(system_id: str, iface_id: int) -> str:
    return f"nodes/{system_id}/interfaces/{iface_id}/"


def iface_id(api: APIClient, system_id: str, name: str) -> int:
    return next(i["id"] for i in api.get(f"nodes/{system_id}/interfaces/").json() if i["name"] == name)


def link(api: APIClient, system_id: str, iface: int, fields: dict) -> int:
    response = api.post(url(system_id, iface), fields, op="link_subnet")
    assert response.status_code == 200, response.text
    return response.json()["links"][-1]["id"]


def gateways(api: APIClient, system_id: str) -> dict:
    return api.get(f"machines/{system_id}/").json()["default_gateways"]


def test_an_interface_without_a_gateway_link_is_refused(api: APIClient, machine: str) -> None:
    eth1 = iface_id(api, machine, "eth1")
    assert api.put(url(machine, eth1), {"vlan": UNTAGGED}).status_code == 200
    response = api.post(url(machine, eth1), op="set_default_gateway")
    assert response.status_code == 400 and "has no usable gateways" in response.text
    link(api, machine, eth1, {"mode": "STATIC", "subnet": "10.74.0.0/24"})  # a subnet without a gateway
    response = api.post(url(machine, eth1), op="set_default_gateway")
    assert response.status_code == 400 and "has no usable gateways" in response.text
    assert gateways(api, machine) == {"ipv4": NONE_CHOSEN, "ipv6": NONE_CHOSEN}


def test_gateways_are_chosen_per_family_and_follow_their_links(api: APIClient, machine: str) -> None:
    eth0 = iface_id(api, machine, "eth0")
    assert api.put(url(machine, eth0), {"vlan": UNTAGGED}).status_code == 200
    first = link(api, machine, eth0, {"mode": "STATIC", "subnet": "10.72.0.0/24"})
    # One IPv4 gateway: MAAS would use it even before anyone chooses.
    assert gateways(api, machine)["ipv4"] == {"gateway_ip": "10.72.0.1", "link_id": None}
    second = link(api, machine, eth0, {"mode": "AUTO", "subnet": "10.73.0.0/24"})
    ambiguous = api.post(url(machine, eth0), op="set_default_gateway")
    assert ambiguous.status_code == 400 and "more than one IPv4 gateway" in ambiguous.text
    assert "link_id" in ambiguous.json()
    chosen = api.post(url(machine, eth0), {"link_id": second}, op="set_default_gateway")
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["name"] == "eth0"
    assert gateways(api, machine) == {"ipv4": {"gateway_ip": "10.73.0.1", "link_id": second}, "ipv6": NONE_CHOSEN}
    # IPv6 is chosen apart and leaves the IPv4 choice alone.
    v6 = link(api, machine, eth0, {"mode": "STATIC", "subnet": "fd00:72::/64"})
    assert api.post(url(machine, eth0), {"link_id": v6}, op="set_default_gateway").status_code == 200
    assert gateways(api, machine) == {"ipv4": {"gateway_ip": "10.73.0.1", "link_id": second},
                                      "ipv6": {"gateway_ip": "fd00:72::1", "link_id": v6}}
    # Unlinking the chosen link clears the choice; the remaining gateway link takes over.
    assert api.post(url(machine, eth0), {"id": second}, op="unlink_subnet").status_code == 200
    assert gateways(api, machine)["ipv4"] == {"gateway_ip": "10.72.0.1", "link_id": None}
    assert api.post(url(machine, eth0), {"link_id": first}, op="set_default_gateway").status_code == 200
    assert gateways(api, machine)["ipv4"] == {"gateway_ip": "10.72.0.1", "link_id": first}


def test_link_id_must_be_a_gateway_link_of_this_interface(api: APIClient, machine: str) -> None:
    eth0, eth1 = iface_id(api, machine, "eth0"), iface_id(api, machine, "eth1")
    other = link(api, machine, eth1, {"mode": "STATIC", "subnet": "10.73.0.0/24"})
    foreign = api.post(url(machine, eth0), {"link_id": other}, op="set_default_gateway")
    assert foreign.status_code == 400
    assert foreign.json() == {"link_id": [f"Link {other} is not a link of interface eth0 on a subnet with a gateway."]}
    for bad in ("abc", "-1", "99999999999"):
        response = api.post(url(machine, eth0), {"link_id": bad}, op="set_default_gateway")
        assert response.status_code == 400 and "link_id" in response.text, (bad, response.text)


def test_only_administrators_and_editable_machines(api: APIClient, user_api: APIClient, region: Region,
                                                   machine: str) -> None:
    eth0 = iface_id(api, machine, "eth0")
    assert user_api.post(url(machine, eth0), op="set_default_gateway").status_code == 403
    region.sql("UPDATE node SET status = 6 WHERE system_id = %s", (machine,))  # Deployed
    try:
        response = api.post(url(machine, eth0), op="set_default_gateway")
        assert response.status_code == 409 and "not Ready, Allocated, or Broken" in response.text
    finally:
        region.sql("UPDATE node SET status = 4 WHERE system_id = %s", (machine,))


def test_link_subnet_can_make_the_new_link_the_default_gateway(api: APIClient, machine: str) -> None:
    eth0 = iface_id(api, machine, "eth0")
    new = link(api, machine, eth0, {"mode": "STATIC", "subnet": "10.73.0.0/24", "default_gateway": "true"})
    assert gateways(api, machine)["ipv4"] == {"gateway_ip": "10.73.0.1", "link_id": new}
    for fields, message in (({"mode": "DHCP", "default_gateway": "true"}, "Cannot use in mode 'DHCP'"),
                            ({"mode": "STATIC", "subnet": "10.74.0.0/24", "default_gateway": "true"},
                             "Subnet has no gateway_ip")):
        response = api.post(url(machine, eth0), fields, op="link_subnet")
        assert response.status_code == 400 and message in response.text, response.text
    assert gateways(api, machine)["ipv4"] == {"gateway_ip": "10.73.0.1", "link_id": new}  # nothing kept
