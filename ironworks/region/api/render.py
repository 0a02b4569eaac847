"""Object JSON as MAAS clients expect it: pure functions from row mappings to dicts.

Every object carries `resource_uri` (a path).  Related objects are nested as full dicts, except
the relations MAAS flattens to strings (a VLAN's fabric/space/racks, a subnet's space, a node's
owner).  Callers fetch related rows up front (no N+1) and pass them in.
"""

from __future__ import annotations

from typing import Any, Mapping

from ironworks.region.api.operations import API_PREFIX

Row = Mapping[str, Any]


def domain(row: Row, record_count: int = 0) -> dict:
    return {"id": row["id"], "name": row["name"], "ttl": row["ttl"],
            "authoritative": row["authoritative"], "is_default": row["is_default"],
            "resource_record_count": record_count,
            "resource_uri": f"{API_PREFIX}domains/{row['id']}/"}


def zone(row: Row) -> dict:
    return {"id": row["id"], "name": row["name"], "description": row["description"],
            "resource_uri": f"{API_PREFIX}zones/{row['name']}/"}


def pool(row: Row) -> dict:
    return {"id": row["id"], "name": row["name"], "description": row["description"],
            "resource_uri": f"{API_PREFIX}resourcepool/{row['id']}/"}


def space(row: Row, vlans: list[dict] | None = None, subnets: list[dict] | None = None) -> dict:
    return {"id": row["id"], "name": row["name"], "description": row["description"],
            "vlans": vlans or [], "subnets": subnets or [],
            "resource_uri": f"{API_PREFIX}spaces/{row['id']}/"}


def vlan(row: Row, relay: dict | None = None) -> dict:
    """`row`: vlan columns plus `fabric_name`, `space_name`, `primary_rack_system_id`,
    `secondary_rack_system_id` (None when unset).  `relay`: the relay VLAN's own dict."""
    return {
        "id": row["id"], "vid": row["vid"], "name": row["name"] or ("untagged" if row["vid"] == 0 else str(row["vid"])),
        "description": row["description"], "fabric": row["fabric_name"], "fabric_id": row["fabric_id"],
        "mtu": row["mtu"], "dhcp_on": row["dhcp_on"],
        "external_dhcp": str(row["external_dhcp"]) if row["external_dhcp"] else None,
        "primary_rack": row["primary_rack_system_id"],
        "secondary_rack": row["secondary_rack_system_id"],
        "relay_vlan": relay, "space": row["space_name"] or "undefined",
        "resource_uri": f"{API_PREFIX}vlans/{row['id']}/",
    }


def fabric(row: Row, vlans: list[dict]) -> dict:
    return {"id": row["id"], "name": row["name"], "description": row["description"],
            "class_type": row["class_type"], "vlans": vlans,
            "resource_uri": f"{API_PREFIX}fabrics/{row['id']}/"}


def subnet(row: Row, vlan_dict: dict) -> dict:
    """`row`: subnet columns plus `space_name` (the VLAN's space)."""
    return {
        "id": row["id"], "name": row["name"], "description": row["description"],
        "cidr": str(row["cidr"]), "vlan": vlan_dict, "space": row["space_name"] or "undefined",
        "gateway_ip": str(row["gateway_ip"]) if row["gateway_ip"] else None,
        "dns_servers": list(row["dns_servers"]), "rdns_mode": row["rdns_mode"],
        "active_discovery": row["active_discovery"], "allow_dns": row["allow_dns"],
        "allow_proxy": row["allow_proxy"], "managed": row["managed"],
        "disabled_boot_architectures": list(row["disabled_boot_architectures"]),
        "resource_uri": f"{API_PREFIX}subnets/{row['id']}/",
    }


def iprange(row: Row, subnet_dict: dict, user_dict: dict | None) -> dict:
    return {"id": row["id"], "type": row["type"], "start_ip": str(row["start_ip"]),
            "end_ip": str(row["end_ip"]), "comment": row["comment"], "user": user_dict,
            "subnet": subnet_dict, "resource_uri": f"{API_PREFIX}ipranges/{row['id']}/"}


def user(row: Row) -> dict:
    return {"username": row["username"], "email": row["email"], "is_superuser": row["is_superuser"],
            "is_local": row["is_local"], "resource_uri": f"{API_PREFIX}users/{row['username']}/"}


# -- composed from rows fetched in bulk (see services.vlans.load_vlans / subnets.load_subnets) --

def vlan_in(row: Row, vlans_by_id: Mapping[int, Row]) -> dict:
    """A VLAN with its relay VLAN nested one level deep (the relay's own relay is not)."""
    relay = vlans_by_id.get(row["relay_vlan_id"]) if row["relay_vlan_id"] is not None else None
    return vlan(row, vlan(relay) if relay is not None else None)


def subnet_in(row: Row, vlans_by_id: Mapping[int, Row]) -> dict:
    return subnet(row, vlan_in(vlans_by_id[row["vlan_id"]], vlans_by_id))
