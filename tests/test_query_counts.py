"""Listing nodes costs the same number of SQL statements for 10 nodes and for 500.

A module of its own, so its region has a fresh database.  Nodes are bulk-inserted with SQL (one
statement per batch): the API cannot yet attach subnets and addresses to interfaces, and
creating hundreds of machines one by one would only slow the test down.
"""

from __future__ import annotations

from typing import Any, Callable

from tests.harness import APIClient, Region

Sql = Callable[[str, Any], list]

_NODES = """
WITH nodes AS (
    INSERT INTO node (system_id, hostname, node_type, domain_id, zone_id, pool_id, architecture,
                      status, power_type, cpu_count, memory, version)
    SELECT %(prefix)s::text || g, %(prefix)s::text || '-' || g, %(node_type)s::int, 0, 1,
           CASE WHEN %(node_type)s::int = 0 THEN 0 END, 'amd64/generic',
           CASE WHEN %(node_type)s::int = 0 THEN 4 ELSE 6 END, 'manual', 4, 8192, '0.1.0'
    FROM generate_series(%(first)s::int, %(last)s::int) g
    RETURNING id
), ifaces AS (
    INSERT INTO interface (node_id, name, type, mac_address, vlan_id)
    SELECT nodes.id, 'eth' || k, 'physical',
           (lpad(to_hex(k + 2), 4, '0') || lpad(to_hex(nodes.id), 8, '0'))::macaddr, 5001
    FROM nodes CROSS JOIN generate_series(0, 1) k
    RETURNING id, node_id, name
), services AS (
    INSERT INTO service (node_id, name, status)
    SELECT nodes.id, s, 'running' FROM nodes CROSS JOIN unnest(%(services)s::text[]) s
)
INSERT INTO ip_address (ip, alloc_type, subnet_id, interface_id)
SELECT (CASE WHEN ifaces.name = 'eth0' THEN '10.64.0.0' ELSE '10.68.0.0' END)::inet + ifaces.node_id,
       'sticky', subnet.id, ifaces.id
FROM ifaces JOIN subnet ON subnet.name = CASE WHEN ifaces.name = 'eth0' THEN 'bulk-a' ELSE 'bulk-b' END
"""


def insert_nodes(sql: Sql, first: int, count: int, *, node_type: int = 0, prefix: str = "bulk",
                 services: tuple[str, ...] = ()) -> None:
    """Nodes `<prefix>-<first>`... each with eth0/eth1 on the default VLAN and a static address on
    one of two subnets (created on first use); rack/region nodes get running `services`."""
    sql("INSERT INTO subnet (name, cidr, vlan_id) VALUES ('bulk-a', '10.64.0.0/14', 5001), "
        "('bulk-b', '10.68.0.0/14', 5001) ON CONFLICT DO NOTHING", None)
    sql(_NODES, {"prefix": prefix, "node_type": node_type, "first": first,
                 "last": first + count - 1, "services": list(services)})


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
    insert_nodes(region.sql, 1, 10)
    small = queries(api, "machines/", 10)
    insert_nodes(region.sql, 11, 490)
    assert queries(api, "machines/", 500) == small
    assert small <= 12, f"{small} statements to list machines"
    # Filters add a constant number of look-ups (zone, pool), never one per node.
    response = api.get("machines/", zone="default", pool="default", status="ready", arch="amd64")
    assert response.status_code == 200
    assert len(response.json()) == 500
    assert int(response.headers["X-Ironworks-Queries"]) <= small + 3


def test_listing_rack_controllers_costs_the_same_queries_for_10_and_500(region: Region, api: APIClient) -> None:
    services = ("rackd", "tftp", "http")
    insert_nodes(region.sql, 1, 10, node_type=2, prefix="rack", services=services)
    small = queries(api, "rackcontrollers/", 10)
    insert_nodes(region.sql, 11, 490, node_type=2, prefix="rack", services=services)
    assert queries(api, "rackcontrollers/", 500) == small
    racks = api.get("rackcontrollers/", hostname="rack-7").json()
    assert [s["name"] for s in racks[0]["service_set"]] == sorted(services)

