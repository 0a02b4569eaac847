"""Device JSON, and the mixed listing of `nodes/` where each node renders as its type does.

Rows carry `query.DEVICE_COLUMNS` (parent system_id, owner data) after the listing columns.
Shared nested objects (VLANs, subnets, zones, domains) come from `render_node`'s per-response
cache, so a listing builds each once, as machine listings do.
"""

from __future__ import annotations

from typing import Any

import orjson

from ironworks.common.nodetypes import NODE_TYPE_NAMES, NodeType
from ironworks.region.api.operations import API_PREFIX

# render_node's building blocks: the per-response cache and one node's JSON.
from ironworks.region.api.render_node import (
    NODE_WIDTH,
    _fragment,
    _gc_paused,
    _interfaces,
    _node,
    _Shared,
)
from ironworks.region.services.nodes.query import NODE, NodeData

COLLECTIONS = {NodeType.MACHINE: "machines", NodeType.DEVICE: "devices",
               NodeType.RACK_CONTROLLER: "rackcontrollers", NodeType.REGION_CONTROLLER: "regioncontrollers",
               NodeType.REGION_AND_RACK_CONTROLLER: "regioncontrollers"}


def _device(shared: _Shared, row: Any) -> dict:
    system_id, hostname, domain_id = row[NODE.system_id], row[NODE.hostname], row[NODE.domain_id]
    parent, owner_data = row[NODE_WIDTH], row[NODE_WIDTH + 1]
    ips: list[str] = []
    interfaces = _interfaces(shared, row[NODE.id], system_id, ips, [])  # devices have no default gateways
    domain_row = shared.data.domains.get(domain_id)
    return {
        "system_id": system_id, "hostname": hostname, "description": row[NODE.description],
        "domain": shared.domains.get(domain_id),
        "fqdn": f"{hostname}.{domain_row['name']}" if domain_row else hostname,
        "owner": row[NODE.owner], "owner_data": owner_data or {}, "parent": parent,
        "tag_names": shared.data.tags.get(row[NODE.id], ()), "address_ttl": None,
        "ip_addresses": ips, "interface_set": interfaces, "zone": shared.zones.get(row[NODE.zone_id]),
        "node_type": NodeType.DEVICE, "node_type_name": NODE_TYPE_NAMES[NodeType.DEVICE],
        # MAAS's older name for owner_data, still sent.
        "workload_annotations": owner_data or {},
        "resource_uri": f"{API_PREFIX}devices/{system_id}/",
    }


def _any(shared: _Shared, row: Any) -> dict:
    node_type = row[NODE.node_type]
    if node_type == NodeType.DEVICE:
        return _device(shared, row)
    result = _node(shared, row, COLLECTIONS[node_type])
    if node_type == NodeType.MACHINE:
        result.pop("service_set", None)  # only controllers have services
    return result


def render_devices(data: NodeData) -> list[dict]:
    with _gc_paused():
        shared = _Shared(data)
        return [_device(shared, row) for row in data.nodes]


def render_devices_json(data: NodeData) -> bytes:
    with _gc_paused():
        shared = _Shared(data, _fragment)
        return orjson.dumps([_device(shared, row) for row in data.nodes])


def render_any(data: NodeData) -> list[dict]:
    with _gc_paused():
        shared = _Shared(data)
        return [_any(shared, row) for row in data.nodes]


def render_any_json(data: NodeData) -> bytes:
    """Nodes of every type, each as its own collection renders it (controllers with
    `service_set`, devices with `parent` and `owner_data`)."""
    with _gc_paused():
        shared = _Shared(data, _fragment)
        return orjson.dumps([_any(shared, row) for row in data.nodes])
