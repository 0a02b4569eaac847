"""Subnets through the API: defaults, references, address rules, overlaps, lookups, deletes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ironworks.common.nodetypes import NodeType
from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import add_node


def add_address(region: Region, ip: str, subnet_id: int, alloc_type: str = "sticky",
                hostname: str | None = None, vlan_id: int = 5001) -> None:
    """An address on a node's interface (or, without a hostname, one with no interface)."""
    interface_id = None
    if hostname:
        node_id, _ = add_node(region, hostname, NodeType.MACHINE, vlans=(vlan_id,))
        (interface_id,), = region.sql("SELECT id FROM interface WHERE node_id = %s", (node_id,))
    region.sql("INSERT INTO ip_address (ip, alloc_type, subnet_id, interface_id) VALUES (%s, %s, %s, %s)",
               (ip, alloc_type, subnet_id, interface_id))


def test_create_subnet_with_defaults(api: APIClient) -> None:
    response = api.post("subnets/", {"cidr": "192.168.10.0/24"})
    assert response.status_code == 200, response.text
    subnet = response.json()
    assert (subnet["name"], subnet["cidr"], subnet["space"]) == ("192.168.10.0/24", "192.168.10.0/24", "undefined")
    assert (subnet["gateway_ip"], subnet["dns_servers"], subnet["rdns_mode"]) == (None, [], 2)
    assert (subnet["allow_dns"], subnet["allow_proxy"], subnet["active_discovery"], subnet["managed"]) == \
        (True, True, False, True)
    assert (subnet["vlan"]["id"], subnet["vlan"]["fabric_id"], subnet["vlan"]["vid"]) == (5001, 0, 0)
    assert subnet["disabled_boot_architectures"] == []
    assert subnet["resource_uri"] == f"/MAAS/api/2.0/subnets/{subnet['id']}/"
    assert subnet in api.get("subnets/").json()


def test_create_subnet_with_every_field(api: APIClient) -> None:
    fabric = api.post("fabrics/", {"name": "subnet-fabric"}).json()
    vlan = api.post(f"fabrics/{fabric['id']}/vlans/", {"vid": "12"}).json()
    response = api.post("subnets/", {
        "cidr": "172.16.5.9/24", "name": "office", "description": "the office", "vlan": vlan["id"],
        "gateway_ip": "172.16.5.1", "dns_servers": "8.8.8.8 1.1.1.1,9.9.9.9", "rdns_mode": "0",
        "allow_dns": "false", "allow_proxy": "0", "active_discovery": "yes", "managed": "False"})
    assert response.status_code == 200, response.text
    subnet = response.json()
    assert (subnet["cidr"], subnet["name"], subnet["description"]) == ("172.16.5.0/24", "office", "the office")
    assert subnet["vlan"]["id"] == vlan["id"] and subnet["gateway_ip"] == "172.16.5.1"
    assert subnet["dns_servers"] == ["8.8.8.8", "1.1.1.1", "9.9.9.9"] and subnet["rdns_mode"] == 0
    assert (subnet["allow_dns"], subnet["allow_proxy"], subnet["active_discovery"], subnet["managed"]) == \
        (False, False, True, False)


def test_vlan_by_fabric_and_vid(api: APIClient) -> None:
    fabric = api.post("fabrics/", {"name": "by-vid"}).json()
    vlan = api.post(f"fabrics/{fabric['id']}/vlans/", {"vid": "44"}).json()
    subnet = api.post("subnets/", {"cidr": "172.17.0.0/24", "fabric": "by-vid", "vid": "44"}).json()
    assert subnet["vlan"]["id"] == vlan["id"]
    subnet = api.post("subnets/", {"cidr": "172.17.1.0/24", "fabric": str(fabric["id"])}).json()
    assert subnet["vlan"]["vid"] == 0 and subnet["vlan"]["fabric_id"] == fabric["id"]


def test_create_subnet_validation(api: APIClient) -> None:
    api.post("subnets/", {"cidr": "10.10.0.0/16", "name": "ten-ten"})
    cases = [
        ({}, "cidr", "This field is required."),
        ({"cidr": "banana"}, "cidr", "not a network in CIDR form"),
        ({"cidr": "10.11.0.0/33"}, "cidr", "not a network in CIDR form"),
        ({"cidr": "10.11.0.1"}, "cidr", "not a network in CIDR form"),
        ({"cidr": "10.10.5.0/24"}, "cidr", "overlaps with the existing subnet 10.10.0.0/16"),
        ({"cidr": "10.0.0.0/8"}, "cidr", "overlaps with the existing subnet 10.10.0.0/16"),
        ({"cidr": "10.11.0.0/24", "name": "ten-ten"}, "name", "already exists"),
        ({"cidr": "10.11.0.0/24", "name": "12"}, "name", "just a number"),
        ({"cidr": "10.11.0.0/24", "vlan": "999999"}, "vlan", "No VLAN with id"),
        ({"cidr": "10.11.0.0/24", "vlan": "abc"}, "vlan", "No VLAN with id"),
        ({"cidr": "10.11.0.0/24", "fabric": "nope"}, "fabric", "No fabric 'nope'"),
        ({"cidr": "10.11.0.0/24", "vid": "3999"}, "vid", "has no VLAN 3999"),
        ({"cidr": "10.11.0.0/24", "gateway_ip": "10.12.0.1"}, "gateway_ip", "not in subnet"),
        ({"cidr": "10.11.0.0/24", "gateway_ip": "10.11.0.0"}, "gateway_ip", "network address"),
        ({"cidr": "10.11.0.0/24", "gateway_ip": "10.11.0.255"}, "gateway_ip", "broadcast address"),
        ({"cidr": "10.11.0.0/24", "gateway_ip": "10.11.0.300"}, "gateway_ip", "not a valid IPv4 or IPv6"),
        ({"cidr": "10.11.0.0/24", "dns_servers": "8.8.8.8,dns.example"}, "dns_servers", "not a valid"),
        ({"cidr": "10.11.0.0/24", "rdns_mode": "3"}, "rdns_mode", "less than or equal to 2"),
        ({"cidr": "10.11.0.0/24", "rdns_mode": "x"}, "rdns_mode", "Enter a whole number."),
        ({"cidr": "10.11.0.0/24", "allow_dns": "maybe"}, "allow_dns", "not a valid boolean"),
    ]
    for data, key, message in cases:
        response = api.post("subnets/", data)
        assert response.status_code == 400, data
        assert message in " ".join(response.json()[key]), (data, response.text)
    assert not [s for s in api.get("subnets/").json() if s["cidr"].startswith("10.11.")]


def test_ipv6_subnet(api: APIClient) -> None:
    subnet = api.post("subnets/", {"cidr": "2001:db8:1::/64", "gateway_ip": "2001:db8:1::1"}).json()
    assert (subnet["cidr"], subnet["gateway_ip"]) == ("2001:db8:1::/64", "2001:db8:1::1")
    response = api.post("subnets/", {"cidr": "2001:db8::/32"})
    assert "overlaps" in response.json()["cidr"][0]
    assert api.post("subnets/", {"cidr": "2001:db8:2::/64", "gateway_ip": "10.0.0.1"}).status_code == 400


def test_subnet_lookup_by_id_cidr_and_name(api: APIClient) -> None:
    subnet = api.post("subnets/", {"cidr": "192.168.20.0/24", "name": "lookup-me"}).json()
    for ref in (str(subnet["id"]), "192.168.20.0/24", "cidr:192.168.20.0/24", "lookup-me"):
        response = api.get(f"subnets/{ref}/")
        assert response.status_code == 200, ref
        assert response.json() == subnet
    for ref in ("999999", "192.168.99.0/24", "nameless"):
        response = api.get(f"subnets/{ref}/")
        assert (response.status_code, response.text) == (404, "No Subnet matches the given query."), ref


def test_update_subnet_is_partial(api: APIClient) -> None:
    subnet = api.post("subnets/", {"cidr": "192.168.30.0/24", "gateway_ip": "192.168.30.1",
                                   "dns_servers": "8.8.8.8"}).json()
    path = f"subnets/{subnet['id']}/"
    updated = api.put(path, {"description": "changed"}).json()
    assert (updated["description"], updated["name"], updated["gateway_ip"], updated["dns_servers"]) == \
        ("changed", "192.168.30.0/24", "192.168.30.1", ["8.8.8.8"])
    updated = api.put(path, {"gateway_ip": "", "dns_servers": "", "rdns_mode": "1", "name": "thirty"}).json()
    assert (updated["gateway_ip"], updated["dns_servers"], updated["rdns_mode"], updated["name"]) == \
        (None, [], 1, "thirty")
    assert api.put("subnets/thirty/", {"managed": "false"}).json()["managed"] is False


def test_update_subnet_validation_changes_nothing(api: APIClient) -> None:
    subnet = api.post("subnets/", {"cidr": "192.168.40.0/24", "gateway_ip": "192.168.40.1"}).json()
    api.post("subnets/", {"cidr": "192.168.41.0/24"})
    api.post("ipranges/", {"type": "reserved", "start_ip": "192.168.40.200", "end_ip": "192.168.40.210"})
    path = f"subnets/{subnet['id']}/"
    for data, key, message in [
        ({"gateway_ip": "192.168.41.1"}, "gateway_ip", "not in subnet"),
        ({"cidr": "192.168.40.0/23"}, "cidr", "overlaps with the existing subnet 192.168.41.0/24"),
        ({"cidr": "192.168.40.0/25"}, "cidr", "reserved range 192.168.40.200-192.168.40.210"),
        ({"cidr": "192.168.50.0/24", "description": "moved"}, "cidr", "would fall outside"),
        ({"rdns_mode": "-1"}, "rdns_mode", "greater than or equal to 0"),
        ({"vlan": "424242"}, "vlan", "No VLAN"),
    ]:
        response = api.put(path, data)
        assert response.status_code == 400, data
        assert message in " ".join(response.json()[key]), (data, response.text)
    assert api.get(path).json() == subnet


def test_change_cidr_and_move_vlan(api: APIClient) -> None:
    subnet = api.post("subnets/", {"cidr": "192.168.60.0/25", "gateway_ip": "192.168.60.1"}).json()
    path = f"subnets/{subnet['id']}/"
    updated = api.put(path, {"cidr": "192.168.60.0/24"}).json()
    assert (updated["cidr"], updated["name"]) == ("192.168.60.0/24", "192.168.60.0/25")
    response = api.put(path, {"cidr": "192.168.61.0/24"})  # the gateway would be left outside
    assert "not in subnet 192.168.61.0/24" in response.json()["gateway_ip"][0]
    assert api.put(path, {"cidr": "192.168.61.0/24", "gateway_ip": "192.168.61.254"}).status_code == 200
    fabric = api.post("fabrics/", {"name": "move-target"}).json()
    moved = api.put(path, {"vlan": fabric["vlans"][0]["id"]}).json()
    assert moved["vlan"]["fabric"] == "move-target"


def test_delete_subnet_takes_its_ranges(api: APIClient, region: Region) -> None:
    subnet = api.post("subnets/", {"cidr": "192.168.70.0/24"}).json()
    iprange = api.post("ipranges/", {"type": "reserved", "start_ip": "192.168.70.10",
                                     "end_ip": "192.168.70.20"}).json()
    add_address(region, "192.168.70.99", subnet["id"], "discovered")
    assert api.delete("subnets/192.168.70.0/24/").status_code == 204
    assert api.get(f"subnets/{subnet['id']}/").status_code == 404
    assert api.get(f"ipranges/{iprange['id']}/").status_code == 404


def test_subnet_with_static_addresses_cannot_be_deleted(api: APIClient, region: Region) -> None:
    subnet = api.post("subnets/", {"cidr": "192.168.80.0/24"}).json()
    add_address(region, "192.168.80.5", subnet["id"], "sticky", hostname="static-holder")
    response = api.delete(f"subnets/{subnet['id']}/")
    assert response.status_code == 400
    assert "192.168.80.5 on static-holder:eth0" in response.text
    assert api.get(f"subnets/{subnet['id']}/").status_code == 200


def test_subnet_holding_the_dhcp_pool_cannot_be_deleted(api: APIClient, region: Region) -> None:
    fabric = api.post("fabrics/", {"name": "dhcp-subnet"}).json()
    vlan = fabric["vlans"][0]
    subnet = api.post("subnets/", {"cidr": "192.168.90.0/24", "vlan": vlan["id"]}).json()
    api.post("ipranges/", {"type": "dynamic", "start_ip": "192.168.90.100", "end_ip": "192.168.90.200"})
    add_node(region, "rack-90", vlans=(vlan["id"],), system_id="dhcp90")
    assert api.put(f"vlans/{vlan['id']}/", {"dhcp_on": "true", "primary_rack": "dhcp90"}).status_code == 200
    response = api.delete(f"subnets/{subnet['id']}/")
    assert response.status_code == 400
    assert "DHCP is enabled on VLAN dhcp-subnet.0; disable it first" in response.text
    other = api.post("fabrics/").json()
    response = api.put(f"subnets/{subnet['id']}/", {"vlan": other["vlans"][0]["id"]})
    assert response.status_code == 400 and "disable it first" in response.text
    api.put(f"vlans/{vlan['id']}/", {"dhcp_on": "false"})
    assert api.delete(f"subnets/{subnet['id']}/").status_code == 204


def test_subnet_permissions(api: APIClient, user_api: APIClient) -> None:
    subnet = api.post("subnets/", {"cidr": "192.168.100.0/24"}).json()
    assert user_api.get("subnets/").status_code == 200
    assert user_api.get(f"subnets/{subnet['id']}/").status_code == 200
    assert user_api.post("subnets/", {"cidr": "192.168.101.0/24"}).status_code == 403
    assert user_api.put(f"subnets/{subnet['id']}/", {"name": "mine"}).status_code == 403
    assert user_api.delete(f"subnets/{subnet['id']}/").status_code == 403
    assert api.get(f"subnets/{subnet['id']}/").json() == subnet


def test_concurrent_overlapping_creates_leave_one_subnet(api: APIClient, region: Region) -> None:
    """The overlap check and the insert do not interleave between requests."""
    cidrs = [f"10.123.0.0/{prefix}" for prefix in range(16, 28)]  # each overlaps every other
    with ThreadPoolExecutor(len(cidrs)) as pool:
        statuses = list(pool.map(lambda c: region.client().post("subnets/", {"cidr": c}).status_code, cidrs))
    assert sorted(statuses) == [200] + [400] * (len(cidrs) - 1)
    (count,), = region.sql("SELECT count(*) FROM subnet WHERE cidr <<= '10.123.0.0/16'")
    assert count == 1
