"""Listing `nodes/` and `devices/` costs the same number of SQL statements for a few nodes and for
hundreds, whatever mix of types (a module of its own: its region has a fresh database)."""

from __future__ import annotations

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import insert_nodes


def statements(api: APIClient, path: str, expected: int) -> int:
    response = api.get(path)
    assert response.status_code == 200, response.text
    bulk = [n for n in response.json() if n["hostname"].startswith(("dev-", "mach-", "rack-"))]
    assert len(bulk) == expected
    for node in bulk:  # every node came back whole: both interfaces linked to their subnets
        assert [len(i["links"]) for i in node["interface_set"]] == [1, 1]
        assert len(node["ip_addresses"]) == 2
    return int(response.headers["X-Ironworks-Queries"])


def test_listing_devices_costs_the_same_queries_for_10_and_300(region: Region, api: APIClient) -> None:
    insert_nodes(region, 1, 10, node_type=1, prefix="dev")
    small = statements(api, "devices/", 10)
    insert_nodes(region, 11, 290, node_type=1, prefix="dev")
    assert statements(api, "devices/", 300) == small
    assert small <= 12, f"{small} statements to list devices"


def test_listing_nodes_costs_the_same_queries_for_310_and_710(region: Region, api: APIClient) -> None:
    # The devices of the test above are here too: 300 of them, plus machines and racks.
    insert_nodes(region, 1, 5, prefix="mach")
    insert_nodes(region, 1, 5, node_type=2, prefix="rack", services=("rackd",))
    small = statements(api, "nodes/", 310)
    insert_nodes(region, 6, 200, prefix="mach")
    insert_nodes(region, 6, 200, node_type=2, prefix="rack", services=("rackd",))
    assert statements(api, "nodes/", 710) == small
    assert small <= 13, f"{small} statements to list nodes"
