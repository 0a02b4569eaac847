"""`ipaddresses/`: users reserve addresses MAAS then never hands out, and release them; the
allocator keeps out of dynamic and reserved ranges and never gives one address twice, even to
50 requests at once."""

from __future__ import annotations

import ipaddress
from concurrent.futures import ThreadPoolExecutor

import pytest

from ironworks.lab.harness import APIClient, Region

NET = "10.61.0.0/24"


@pytest.fixture(scope="module")
def subnet(api: APIClient) -> dict:
    created = api.post("subnets/", {"cidr": NET, "name": "reserve-net", "gateway_ip": "10.61.0.1"})
    assert created.status_code == 200, created.text
    for kind, start, end in (("dynamic", "10.61.0.2", "10.61.0.9"), ("reserved", "10.61.0.10", "10.61.0.12")):
        assert api.post("ipranges/", {"type": kind, "start_ip": start, "end_ip": end}).status_code == 200
    return created.json()


def reserve(api: APIClient, **fields: str):  # noqa: ANN201
    return api.post("ipaddresses/", fields, op="reserve")


def test_reserve_in_a_subnet_takes_the_first_address_outside_gateway_and_ranges(api: APIClient, subnet: dict) -> None:
    response = reserve(api, subnet=NET)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ip"] == "10.61.0.13"
    assert (body["alloc_type"], body["alloc_type_name"]) == (4, "User reserved")
    assert body["owner"]["username"] == "admin" and body["subnet"]["cidr"] == NET
    assert reserve(api, subnet="reserve-net").json()["ip"] == "10.61.0.14"  # by name too


def test_reserve_a_chosen_address_with_a_hostname_and_mac(api: APIClient, subnet: dict) -> None:
    response = reserve(api, ip="10.61.0.50", hostname="printer", mac="52:54:00:61:00:50")
    assert response.status_code == 200, response.text
    assert response.json()["ip"] == "10.61.0.50" and response.json()["hostname"] == "printer"
    again = reserve(api, ip="10.61.0.50")
    assert again.status_code == 409 and "already in use" in again.text
    # A reserved range is for exactly such choices; a dynamic range belongs to DHCP.
    assert reserve(api, ip="10.61.0.11").status_code == 200
    dynamic = reserve(api, ip="10.61.0.5")
    assert dynamic.status_code == 400 and "dynamic range" in dynamic.text


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({}, 400, "Must supply either a subnet or an ip"),
    ({"subnet": "nosuch"}, 400, "No subnet matches 'nosuch'"),
    ({"ip": "10.99.0.5"}, 400, "No subnet in MAAS contains 10.99.0.5"),
    ({"subnet": NET, "ip": "10.62.0.5"}, 400, "is not in subnet 10.61.0.0/24"),
    ({"ip": "10.61.0.255"}, 400, "broadcast address"),
    ({"ip": "10.61.0.300"}, 400, "not a valid IPv4 or IPv6 address"),
    ({"subnet": NET, "mac": "nonsense"}, 400, "not a valid MAC address"),
])
def test_reserve_refusals(api: APIClient, subnet: dict, fields: dict, status: int, message: str) -> None:
    response = reserve(api, **fields)
    assert response.status_code == status and message in response.text, response.text


def test_a_nodes_mac_is_refused_for_a_reservation(api: APIClient, subnet: dict) -> None:
    machine = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                     "mac_addresses": "52:54:00:61:00:99", "hostname": "owner-of-mac"})
    assert machine.status_code == 200, machine.text
    response = reserve(api, subnet=NET, mac="52:54:00:61:00:99")
    assert response.status_code == 400 and "already belongs to owner-of-mac" in response.text


def test_read_shows_your_own_and_all_for_admins(api: APIClient, user_api: APIClient, subnet: dict) -> None:
    mine = reserve(user_api, subnet=NET).json()["ip"]
    assert [a["ip"] for a in user_api.get("ipaddresses/").json()] == [mine]
    assert mine not in [a["ip"] for a in api.get("ipaddresses/").json()]
    assert mine in [a["ip"] for a in api.get("ipaddresses/", all="true").json()]
    assert [a["ip"] for a in api.get("ipaddresses/", owner="alice").json()] == [mine]
    assert user_api.get("ipaddresses/", all="true").status_code == 403


def test_release_own_and_force_for_admins(api: APIClient, user_api: APIClient, subnet: dict) -> None:
    theirs = reserve(user_api, subnet=NET).json()["ip"]
    mine = reserve(api, subnet=NET).json()["ip"]
    refused = user_api.post("ipaddresses/", {"ip": mine}, op="release")
    assert refused.status_code == 400 and "not a reservation of yours" in refused.text
    assert user_api.post("ipaddresses/", {"ip": mine, "force": "true"}, op="release").status_code == 403
    released = user_api.post("ipaddresses/", {"ip": theirs}, op="release")
    assert released.status_code == 204 and released.headers["content-type"]
    assert theirs not in [a["ip"] for a in user_api.get("ipaddresses/").json()]
    assert api.post("ipaddresses/", {"ip": mine}, op="release").status_code == 204
    gone = api.post("ipaddresses/", {"ip": mine}, op="release")
    assert gone.status_code == 404 and "is not allocated" in gone.text
    # Released addresses are free again.
    assert reserve(api, ip=mine).status_code == 200


def test_listing_costs_the_same_statements_for_few_and_many(api: APIClient, subnet: dict) -> None:
    api.post("subnets/", {"cidr": "10.64.0.0/24"})
    few = api.get("ipaddresses/", all="true")
    for _ in range(20):
        assert reserve(api, subnet="10.64.0.0/24").status_code == 200
    many = api.get("ipaddresses/", all="true")
    assert len(many.json()) == len(few.json()) + 20
    assert many.headers["X-Ironworks-Queries"] == few.headers["X-Ironworks-Queries"]


def test_50_concurrent_reserves_never_share_an_address(api: APIClient, region: Region) -> None:
    """A /26 with a gateway, a dynamic and a reserved range leaves 46 addresses for 50 requests:
    46 distinct free addresses and 4 clear 'no free address' answers, never a duplicate or a 500."""
    cidr = "10.63.0.0/26"
    assert api.post("subnets/", {"cidr": cidr, "gateway_ip": "10.63.0.1"}).status_code == 200
    assert api.post("ipranges/", {"type": "dynamic", "start_ip": "10.63.0.2", "end_ip": "10.63.0.11"}).status_code == 200
    assert api.post("ipranges/", {"type": "reserved", "start_ip": "10.63.0.12", "end_ip": "10.63.0.16"}).status_code == 200
    clients = [region.client() for _ in range(50)]

    def one(client: APIClient):  # noqa: ANN202
        while True:
            response = reserve(client, subnet=cidr)
            # The region's admission control may shed load with a quick 503 + Retry-After; a
            # client tries again.  Only the allocator's own 503 names the subnet.
            if response.status_code == 503 and "No more IPs" not in response.text:
                continue
            return response

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(one, clients))
    got = [r.json()["ip"] for r in answers if r.status_code == 200]
    refused = [r for r in answers if r.status_code != 200]
    assert len(got) == len(set(got)) == 46, sorted(got)
    assert all(ipaddress.ip_address(ip) in ipaddress.ip_network(cidr) for ip in got)
    assert not {f"10.63.0.{i}" for i in range(1, 17)} & set(got)
    assert [r.status_code for r in refused] == [503] * 4
    assert all("No more IPs available in subnet: 10.63.0.0/26" in r.text for r in refused)
