"""Listing nodes costs the same number of SQL statements for 10 nodes and for 500.

A module of its own, so its region has a fresh database.  Nodes are bulk-inserted with SQL (one
statement per batch): the API cannot yet attach subnets and addresses to interfaces, and
creating hundreds of machines one by one would only slow the test down.
"""

from __future__ import annotations

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import insert_nodes


def queries(api: APIClient, path: str, expected_count: int) -> int:
    response = api.get(path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body) == expected_count
    # Every node came back whole: two interfaces, each linked to its subnet.
    for node in body:
        assert [len(i["links"]) for i in node["interface_set"]] == [1, 1]
        assert node["interface_set"][0]["links"][0]["subnet"]["vlan"]["id"] == 5001
        assert len(node["ip_addresses"]) == 2
    return int(response.headers["X-Ironworks-Queries"])


def test_listing_machines_costs_the_same_queries_for_10_and_500(region: Region, api: APIClient) -> None:
    insert_nodes(region, 1, 10)
    small = queries(api, "machines/", 10)
    insert_nodes(region, 11, 490)
    assert queries(api, "machines/", 500) == small
    # 9 today, of which 2 authenticate the request (the key, then its nonce remembered).
    assert small <= 12, f"{small} statements to list machines"
    # Filters add a constant number of look-ups (zone, pool), never one per node.
    response = api.get("machines/", zone="default", pool="default", status="ready", arch="amd64")
    assert response.status_code == 200
    assert len(response.json()) == 500
    assert int(response.headers["X-Ironworks-Queries"]) <= small + 3


def test_listing_rack_controllers_costs_the_same_queries_for_10_and_500(region: Region, api: APIClient) -> None:
    services = ("rackd", "tftp", "http")
    insert_nodes(region, 1, 10, node_type=2, prefix="rack", services=services)
    small = queries(api, "rackcontrollers/", 10)
    insert_nodes(region, 11, 490, node_type=2, prefix="rack", services=services)
    assert queries(api, "rackcontrollers/", 500) == small
    racks = api.get("rackcontrollers/", hostname="rack-7").json()
    assert [s["name"] for s in racks[0]["service_set"]] == sorted(services)

