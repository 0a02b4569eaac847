"""Nodes written straight into a test region's database, for tests and benchmarks that need
racks or many machines before the API (or the rack channel) can make them.

`db` is anything with a `Region.sql`-style method: sql(statement, params) -> rows.
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol, Sequence

from ironworks import __version__
from ironworks.common.nodetypes import RACK_TYPES, NodeStatus, NodeType
from ironworks.region.cluster.liveness import NOT_CONNECTED


class Database(Protocol):
    def sql(self, statement: str, params: Any = None) -> list: ...


def random_mac() -> str:
    return "52:54:04:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def add_node(db: Database, hostname: str, node_type: int = NodeType.RACK_CONTROLLER, *,
             vlans: Sequence[int] = (), services: dict[str, str] | None = None,
             system_id: str | None = None, status: int = NodeStatus.DEPLOYED) -> tuple[int, str]:
    """A node with one physical interface per VLAN in `vlans` (eth0, eth1, ...) and the given
    service statuses; returns (node id, system id)."""
    system_id = system_id or "t" + secrets.token_hex(3)
    ((node_id,),) = db.sql(
        "INSERT INTO node (system_id, hostname, node_type, domain_id, zone_id, architecture, status, version) "
        "VALUES (%s, %s, %s, 0, 1, 'amd64/generic', %s, %s) RETURNING id",
        (system_id, hostname, int(node_type), int(status), __version__))
    for i, vlan_id in enumerate(vlans):
        db.sql("INSERT INTO interface (node_id, name, type, mac_address, vlan_id) VALUES (%s, %s, 'physical', %s, %s)",
            (node_id, f"eth{i}", random_mac(), vlan_id))
    services = dict(services or {})
    if node_type in RACK_TYPES and "rackd" not in services:
        # Its true state: nothing connects for it (lab/simrack.connect_existing brings it to life),
        # and the regions' liveness pass would soon write just this.
        # The pass may have written it already, between the node's INSERT and this one.
        db.sql("INSERT INTO service (node_id, name, status, status_info) VALUES (%s, 'rackd', 'dead', %s) "
               "ON CONFLICT (node_id, name) DO NOTHING", (node_id, NOT_CONNECTED))
    for name, state in services.items():
        db.sql("INSERT INTO service (node_id, name, status) VALUES (%s, %s, %s) "
               "ON CONFLICT (node_id, name) DO UPDATE SET status = EXCLUDED.status", (node_id, name, state))
    return node_id, system_id


_BULK_NODES = """
WITH nodes AS (
    INSERT INTO node (system_id, hostname, node_type, domain_id, zone_id, pool_id, architecture,
                      status, power_type, cpu_count, memory, version)
    SELECT %(prefix)s::text || g, %(prefix)s::text || '-' || g, %(node_type)s::int, 0, 1,
           CASE WHEN %(node_type)s::int = 0 THEN 0 END, 'amd64/generic',
           CASE WHEN %(node_type)s::int = 0 THEN 4 ELSE 6 END, 'manual', 4, 8192, %(version)s
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


def insert_nodes(db: Database, first: int, count: int, *, node_type: int = 0, prefix: str = "bulk",
                 services: tuple[str, ...] = ()) -> None:
    """Nodes `<prefix>-<first>`... in one statement, each with eth0/eth1 on the default VLAN and
    a static address on one of two subnets (created on first use); rack/region nodes get
    running `services`."""
    db.sql("INSERT INTO subnet (name, cidr, vlan_id) VALUES ('bulk-a', '10.64.0.0/14', 5001), "
        "('bulk-b', '10.68.0.0/14', 5001) ON CONFLICT DO NOTHING", None)
    params: dict[str, Any] = {"prefix": prefix, "node_type": node_type, "first": first,
                              "last": first + count - 1, "services": list(services),
                              "version": __version__}
    db.sql(_BULK_NODES, params)
