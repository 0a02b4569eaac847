"""Node JSON (machines, rack and region controllers): one pure renderer over `NodeData`.

Nested objects that many nodes share (VLANs, subnets, domains, zones, pools) are built once per
response and reused everywhere they appear.  `render_nodes` returns plain dicts (the same dict
object at every place); `render_nodes_json` returns the serialised list, with each shared object
serialised once and spliced in as an `orjson.Fragment` — a 10,000-machine listing is ~55 MB of
JSON, half of it repeated VLANs and subnets.
Rows are read positionally, in the orders `services.nodes` documents (see NodeData).
"""

from __future__ import annotations

import contextlib
import gc
from typing import Any, Callable, Iterator

import orjson

from ironworks.common.nodetypes import NODE_TYPE_NAMES, STATUS_NAMES
from ironworks.region.api import render
from ironworks.region.api.operations import API_PREFIX
from ironworks.region.services.nodes.interface_rules import effective_gateway
from ironworks.region.services.nodes.query import NODE_FIELDS, NodeData

POWER_STATES = frozenset({"on", "off", "unknown", "error"})
LINK_MODES = {"sticky": "static", "user_reserved": "static", "auto": "auto", "dhcp": "dhcp",
              "link_up": "link_up"}
# Script-result summaries (no scripts have run yet): MAAS's field names, -1 means "Unknown".
TEST_STATUSES = ("commissioning_status", "testing_status", "cpu_test_status", "memory_test_status",
                 "storage_test_status", "network_test_status", "interface_test_status",
                 "other_test_status")
DEFAULT_MTU = 1500
NODE_WIDTH = len(NODE_FIELDS)
Nested = dict | orjson.Fragment


def _same(obj: dict) -> Nested:
    return obj


def _fragment(obj: dict) -> Nested:
    return orjson.Fragment(orjson.dumps(obj))


class _Shared:
    """Lazily built nested objects, one per related row, for the whole response; `out` turns
    a finished dict into what the response holds (itself, or its serialised fragment)."""

    def __init__(self, data: NodeData, out: Callable[[dict], Nested] = _same) -> None:
        self.data = data
        self.out = out
        self._vlan_dicts: dict[int, dict] = {}
        self._vlans: dict[int, Nested] = {}
        self._subnets: dict[int, Nested] = {}
        self.domains = {i: out(render.domain(r)) for i, r in data.domains.items()}
        self.zones = {i: out(render.zone(r)) for i, r in data.zones.items()}
        self.pools = {i: out(render.pool(r)) for i, r in data.pools.items()}

    def _vlan_dict(self, vlan_id: int) -> dict | None:
        found = self._vlan_dicts.get(vlan_id)
        if found is None:
            row = self.data.vlans.get(vlan_id)
            if row is None:
                return None
            relay_row = self.data.vlans.get(row["relay_vlan_id"]) if row["relay_vlan_id"] else None
            found = render.vlan(row, render.vlan(relay_row) if relay_row else None)
            self._vlan_dicts[vlan_id] = found
        return found

    def vlan(self, vlan_id: int | None) -> Nested | None:
        if vlan_id is None:
            return None
        found = self._vlans.get(vlan_id)
        if found is None:
            plain = self._vlan_dict(vlan_id)
            if plain is None:
                return None
            found = self._vlans[vlan_id] = self.out(plain)
        return found

    def subnet(self, subnet_id: int | None) -> Nested | None:
        if subnet_id is None:
            return None
        found = self._subnets.get(subnet_id)
        if found is None:
            row = self.data.subnets.get(subnet_id)
            if row is None:
                return None
            found = self._subnets[subnet_id] = self.out(render.subnet(row, self._vlan_dict(row["vlan_id"])))
        return found


def _params(text: Any) -> dict:
    if text is None or text == "{}":
        return {}
    return orjson.loads(text) if isinstance(text, (str, bytes)) else dict(text)


def _interfaces(shared: _Shared, node_id: int, system_id: str, ips: list[str],
                gateways: list[tuple[int, Any]]) -> list[dict]:
    """Interface objects of one node; appends the node's addresses to `ips` and its links on a
    subnet with a gateway to `gateways` (link id, gateway)."""
    result = []
    addresses, vlans, subnets = shared.data.addresses, shared.data.vlans, shared.data.subnets
    for row in shared.data.interfaces.get(node_id, ()):
        iface_id, _, name, kind, mac, enabled, vlan_id, params_text, parents, children = row[:10]
        links = []
        discovered = []
        for addr in addresses.get(iface_id, ()):
            addr_id, alloc_type, subnet_id, ip = addr[10:]
            if alloc_type == "discovered":
                if ip:
                    discovered.append(ip)
                continue
            links.append({"id": addr_id, "mode": LINK_MODES.get(alloc_type, alloc_type),
                          "subnet": shared.subnet(subnet_id), "ip_address": ip})
            subnet_row = subnets.get(subnet_id) if subnet_id is not None else None
            if subnet_row is not None and subnet_row["gateway_ip"]:
                gateways.append((addr_id, subnet_row["gateway_ip"]))
            if ip:
                ips.append(ip)
        if discovered:
            # As in MAAS, a DHCP link shows the address its interface was seen with.
            for link in links:
                if link["mode"] == "dhcp" and link["ip_address"] is None:
                    link["ip_address"] = discovered[0]
            ips.extend(ip for ip in discovered if ip not in ips)
        vlan = shared.vlan(vlan_id)
        vlan_row = vlans.get(vlan_id) if vlan is not None else None
        params = _params(params_text)
        result.append({
            "id": iface_id, "name": name, "type": kind, "mac_address": mac, "enabled": enabled,
            "effective_mtu": params.get("mtu") or (vlan_row["mtu"] if vlan_row else DEFAULT_MTU),
            "vlan": vlan, "links": links, "parents": parents or (), "children": children or (), "tags": (),
            "params": params, "system_id": system_id, "discovered": None,
            "link_connected": True, "interface_speed": 0, "link_speed": 0,
            "resource_uri": f"{API_PREFIX}nodes/{system_id}/interfaces/{iface_id}/",
        })
    return result


# Shared, read-only parts of every node (empty tuples serialise as [] and are never copied).
_GATEWAYS = {"ipv4": {"gateway_ip": None, "link_id": None}, "ipv6": {"gateway_ip": None, "link_id": None}}
_CONSTANT = {
    "swap_size": None, "status_action": "", "disable_ipv4": False,
    "boot_disk": None, "blockdevice_set": (), "physicalblockdevice_set": (),
    "virtualblockdevice_set": (), "volume_groups": (), "raids": (), "bcaches": (), "cache_sets": (),
    "special_filesystems": (), "default_gateways": _GATEWAYS, "storage": 0.0, "address_ttl": None,
    "hardware_uuid": None, "ephemeral_deploy": False, "enable_hw_sync": False,
    **{name: -1 for name in TEST_STATUSES},
    **{f"{name}_name": "Unknown" for name in TEST_STATUSES},
}


def _node(shared: _Shared, node: Any, collection: str) -> dict:
    (node_id, system_id, hostname, description, node_type, domain_id, zone_id, pool_id,
     architecture, status, status_message, power_type, power_state, cpu_count, cpu_speed, memory,
     osystem, distro_series, hwe_kernel, min_hwe_kernel, locked, netboot, version,
     owner, gateway_link_ipv4, gateway_link_ipv6) = node[:NODE_WIDTH]
    ips: list[str] = []
    gateways: list[tuple[int, Any]] = []
    interfaces = _interfaces(shared, node_id, system_id, ips, gateways)
    domain_row = shared.data.domains.get(domain_id)
    result = {
        "system_id": system_id, "hostname": hostname,
        "fqdn": f"{hostname}.{domain_row['name']}" if domain_row else hostname,
        "description": description, "domain": shared.domains.get(domain_id), "zone": shared.zones.get(zone_id),
        "pool": shared.pools.get(pool_id) if pool_id is not None else None,
        "architecture": architecture, "cpu_count": cpu_count, "cpu_speed": cpu_speed,
        "memory": memory, "osystem": osystem, "distro_series": distro_series,
        "power_type": power_type, "power_state": power_state if power_state in POWER_STATES else "unknown",
        "ip_addresses": ips, "interface_set": interfaces, "node_type": node_type,
        "node_type_name": NODE_TYPE_NAMES[node_type], "version": version, "status": status,
        "status_name": STATUS_NAMES.get(status, "Unknown"), "status_message": status_message,
        "owner": owner, "owner_data": {}, "locked": locked, "netboot": netboot,
        "hwe_kernel": hwe_kernel, "min_hwe_kernel": min_hwe_kernel,
        "boot_interface": interfaces[0] if interfaces else None, "hardware_info": {},
        "resource_uri": f"{API_PREFIX}{collection}/{system_id}/",
        "tag_names": shared.data.tags.get(node_id, ()),
        **_CONSTANT,
    }
    if gateways or gateway_link_ipv4 is not None or gateway_link_ipv6 is not None:
        result["default_gateways"] = _default_gateways(gateways, gateway_link_ipv4, gateway_link_ipv6)
    if shared.data.services is not None:
        result["service_set"] = [{"name": name, "status": status_, "status_info": info}
                                 for _, name, status_, info in shared.data.services.get(node_id, ())]
    return result


def _default_gateways(gateways: list[tuple[int, Any]], link_ipv4: int | None, link_ipv6: int | None) -> dict:
    """MAAS's `default_gateways`: per family the gateway the node will use and the link an
    administrator chose (`set_default_gateway`; null when MAAS picks)."""
    def one(family: int, chosen: int | None) -> dict:
        gateway = effective_gateway(family, chosen, gateways)
        return {"gateway_ip": str(gateway) if gateway is not None else None, "link_id": chosen}
    return {"ipv4": one(4, link_ipv4), "ipv6": one(6, link_ipv6)}


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """A large listing allocates hundreds of thousands of dicts and lists, which would trigger
    many full cyclic-GC passes over the whole heap.  These objects form trees (freed by
    reference counting) and the callers never yield to other tasks, so pause the collector."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _render(shared: _Shared, collection: str | Callable[[Any], str]) -> list[dict]:
    if callable(collection):
        return [_node(shared, n, collection(n)) for n in shared.data.nodes]
    return [_node(shared, n, collection) for n in shared.data.nodes]


def render_nodes(data: NodeData, collection: str | Callable[[Any], str]) -> list[dict]:
    """Every node in `data`, in order.  `collection` is the API collection of the
    `resource_uri` (`machines`, `rackcontrollers`, ...) or a function of the node row."""
    with _gc_paused():
        return _render(_Shared(data), collection)


def render_nodes_json(data: NodeData, collection: str | Callable[[Any], str]) -> bytes:
    """`render_nodes` serialised, for list responses.  The dicts are built, serialised and freed
    with the collector paused, so no GC pass ever walks them."""
    with _gc_paused():
        return orjson.dumps(_render(_Shared(data, _fragment), collection))


def render_one(data: NodeData, collection: str) -> dict:
    return render_nodes(data, collection)[0]
