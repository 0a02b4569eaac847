"""IP ranges through the API: the address rules, overlaps, and the DHCP pool guard."""

from __future__ import annotations

import itertools
import uuid

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import add_node

_octet = itertools.count(1)


def new_subnet(api: APIClient, **extra: str) -> tuple[dict, str]:
    """A fresh /24 (on a fresh fabric) and its prefix "10.N.0"."""
    n = next(_octet)
    fabric = api.post("fabrics/").json()
    subnet = api.post("subnets/", {"cidr": f"10.{n}.0.0/24", "vlan": fabric["vlans"][0]["id"], **extra}).json()
    return subnet, f"10.{n}.0"


def add_address(region: Region, ip: str, subnet_id: int, alloc_type: str) -> None:
    region.sql("INSERT INTO ip_address (ip, alloc_type, subnet_id) VALUES (%s, %s, %s)", (ip, alloc_type, subnet_id))


def serve_dhcp(api: APIClient, region: Region, vlan_id: int) -> None:
    _, system_id = add_node(region, f"rack-{uuid.uuid4().hex[:6]}", vlans=(vlan_id,))
    response = api.put(f"vlans/{vlan_id}/", {"dhcp_on": "true", "primary_rack": system_id})
    assert response.status_code == 200, response.text


def test_create_dynamic_range_infers_the_subnet(api: APIClient) -> None:
    subnet, net = new_subnet(api)
    response = api.post("ipranges/", {"type": "dynamic", "start_ip": f"{net}.100", "end_ip": f"{net}.200",
                                      "comment": "pool"})
    assert response.status_code == 200, response.text
    iprange = response.json()
    assert (iprange["type"], iprange["start_ip"], iprange["end_ip"], iprange["comment"]) == \
        ("dynamic", f"{net}.100", f"{net}.200", "pool")
    assert iprange["subnet"]["id"] == subnet["id"] and iprange["subnet"]["vlan"]["vid"] == 0
    assert iprange["user"]["username"] == "admin"
    assert iprange["resource_uri"] == f"/MAAS/api/2.0/ipranges/{iprange['id']}/"
    assert api.get(f"ipranges/{iprange['id']}/").json() == iprange
    assert iprange in api.get("ipranges/").json()


def test_subnet_named_by_id_cidr_or_name(api: APIClient) -> None:
    subnet, net = new_subnet(api, name=f"named-{uuid.uuid4().hex[:4]}")
    for i, ref in enumerate((str(subnet["id"]), subnet["cidr"], subnet["name"])):
        response = api.post("ipranges/", {"type": "reserved", "start_ip": f"{net}.{10 + i}",
                                          "end_ip": f"{net}.{10 + i}", "subnet": ref})
        assert response.status_code == 200, (ref, response.text)
        assert response.json()["subnet"]["id"] == subnet["id"]


def test_create_range_validation(api: APIClient) -> None:
    subnet, net = new_subnet(api)
    api.post("ipranges/", {"type": "dynamic", "start_ip": f"{net}.100", "end_ip": f"{net}.150"})
    api.post("ipranges/", {"type": "reserved", "start_ip": f"{net}.20", "end_ip": f"{net}.30"})
    ok = {"type": "dynamic", "start_ip": f"{net}.160", "end_ip": f"{net}.170"}
    cases = [
        ({"start_ip": f"{net}.1", "end_ip": f"{net}.2"}, "type", "This field is required."),
        ({**ok, "type": "static"}, "type", "'static' is not one of the available choices"),
        ({**ok, "start_ip": None}, "start_ip", "This field is required."),
        ({**ok, "end_ip": "10.0.0.999"}, "end_ip", "not a valid IPv4 or IPv6 address"),
        ({**ok, "start_ip": "172.31.9.1", "end_ip": "172.31.9.5"}, "subnet", "No subnet contains 172.31.9.1"),
        ({**ok, "subnet": "no-such-subnet"}, "subnet", "No subnet matches 'no-such-subnet'"),
        ({**ok, "start_ip": "2001:db8::1", "subnet": str(subnet["id"])}, "start_ip", "IPv6 address but subnet"),
        ({**ok, "end_ip": "10.250.0.5", "subnet": str(subnet["id"])}, "end_ip", "is not in subnet"),
        ({**ok, "start_ip": f"{net}.170", "end_ip": f"{net}.160"}, "end_ip", "lower than the start address"),
        ({**ok, "start_ip": f"{net}.0", "subnet": subnet["cidr"]}, "start_ip", "network address"),
        ({**ok, "end_ip": f"{net}.255"}, "end_ip", "broadcast address"),
        ({**ok, "start_ip": f"{net}.140"}, "__all__",
         f"overlaps with the existing dynamic range {net}.100-{net}.150"),
        ({**ok, "start_ip": f"{net}.25", "end_ip": f"{net}.40"}, "__all__",
         f"overlaps with the existing reserved range {net}.20-{net}.30"),
        ({**ok, "type": "reserved", "start_ip": f"{net}.150", "end_ip": f"{net}.155"}, "__all__",
         f"overlaps with the existing dynamic range {net}.100-{net}.150"),
    ]
    for data, key, message in cases:
        response = api.post("ipranges/", {k: v for k, v in data.items() if v is not None})
        assert response.status_code == 400, data
        assert message in " ".join(response.json()[key]), (data, response.text)
    assert len([r for r in api.get("ipranges/").json() if r["subnet"]["id"] == subnet["id"]]) == 2


def test_dynamic_ranges_avoid_allocated_addresses_and_the_gateway(api: APIClient, region: Region) -> None:
    subnet, net = new_subnet(api)
    api.put(f"subnets/{subnet['id']}/", {"gateway_ip": f"{net}.1"})
    add_address(region, f"{net}.50", subnet["id"], "sticky")
    add_address(region, f"{net}.60", subnet["id"], "discovered")  # only observed: no conflict
    response = api.post("ipranges/", {"type": "dynamic", "start_ip": f"{net}.40", "end_ip": f"{net}.55"})
    assert response.json() == {"__all__": [f"Requested dynamic range {net}.40-{net}.55 includes "
                                           f"allocated address(es) {net}.50."]}
    response = api.post("ipranges/", {"type": "dynamic", "start_ip": f"{net}.1", "end_ip": f"{net}.9"})
    assert "gateway" in response.json()["__all__"][0]
    assert api.post("ipranges/", {"type": "dynamic", "start_ip": f"{net}.56",
                                  "end_ip": f"{net}.70"}).status_code == 200
    # Reserved ranges may cover allocated addresses (that is what reserving is for).
    assert api.post("ipranges/", {"type": "reserved", "start_ip": f"{net}.45",
                                  "end_ip": f"{net}.55"}).status_code == 200


def test_ipv6_ranges(api: APIClient) -> None:
    subnet = api.post("subnets/", {"cidr": "2001:db8:77::/64"}).json()
    response = api.post("ipranges/", {"type": "dynamic", "start_ip": "2001:db8:77::100",
                                      "end_ip": "2001:db8:77::1ff"})
    assert response.status_code == 200, response.text
    assert response.json()["subnet"]["id"] == subnet["id"]


def test_update_range(api: APIClient) -> None:
    _, net = new_subnet(api)
    iprange = api.post("ipranges/", {"type": "dynamic", "start_ip": f"{net}.100", "end_ip": f"{net}.150"}).json()
    api.post("ipranges/", {"type": "reserved", "start_ip": f"{net}.200", "end_ip": f"{net}.210"})
    path = f"ipranges/{iprange['id']}/"
    updated = api.put(path, {"end_ip": f"{net}.199", "comment": "bigger"}).json()
    assert (updated["start_ip"], updated["end_ip"], updated["comment"]) == (f"{net}.100", f"{net}.199", "bigger")
    before = api.get(path).json()
    for data, message in [({"end_ip": f"{net}.205"}, f"reserved range {net}.200-{net}.210"),
                          ({"start_ip": f"{net}.250", "comment": "x"}, "lower than the start address"),
                          ({"end_ip": "10.254.254.254"}, "is not in subnet"),
                          ({"start_ip": "garbage"}, "not a valid IPv4 or IPv6 address")]:
        response = api.put(path, data)
        assert response.status_code == 400, data
        assert message in response.text, (data, response.text)
    assert api.get(path).json() == before


def test_delete_range(api: APIClient) -> None:
    _, net = new_subnet(api)
    iprange = api.post("ipranges/", {"type": "reserved", "start_ip": f"{net}.5", "end_ip": f"{net}.6"}).json()
    assert api.delete(f"ipranges/{iprange['id']}/").status_code == 204
    assert api.get(f"ipranges/{iprange['id']}/").status_code == 404


def test_unknown_range_is_404(api: APIClient) -> None:
    for ref in ("999999", "abc"):
        response = api.get(f"ipranges/{ref}/")
        assert (response.status_code, response.text) == (404, "No IPRange matches the given query.")
        assert api.delete(f"ipranges/{ref}/").status_code == 404


def test_last_dynamic_range_of_a_dhcp_vlan_stays(api: APIClient, region: Region) -> None:
    subnet, net = new_subnet(api)
    vlan = subnet["vlan"]
    first = api.post("ipranges/", {"type": "dynamic", "start_ip": f"{net}.100", "end_ip": f"{net}.150"}).json()
    serve_dhcp(api, region, vlan["id"])
    label = f"{vlan['fabric']}.0"
    for response in (api.delete(f"ipranges/{first['id']}/"),
                     api.put(f"ipranges/{first['id']}/", {"end_ip": f"{net}.120"})):
        assert response.status_code == 400
        assert f"DHCP is enabled on VLAN {label}; disable it first" in response.text
    assert api.get(f"ipranges/{first['id']}/").json()["end_ip"] == f"{net}.150"
    assert api.put(f"ipranges/{first['id']}/", {"comment": "notes are fine"}).status_code == 200
    # With a second pool, the first may go.
    api.post("ipranges/", {"type": "dynamic", "start_ip": f"{net}.160", "end_ip": f"{net}.170"})
    assert api.delete(f"ipranges/{first['id']}/").status_code == 204
    api.put(f"vlans/{vlan['id']}/", {"dhcp_on": "false"})


def test_range_permissions(api: APIClient, user_api: APIClient) -> None:
    _, net = new_subnet(api)
    iprange = api.post("ipranges/", {"type": "reserved", "start_ip": f"{net}.5", "end_ip": f"{net}.6"}).json()
    assert user_api.get("ipranges/").status_code == 200
    assert user_api.get(f"ipranges/{iprange['id']}/").status_code == 200
    assert user_api.post("ipranges/", {"type": "reserved", "start_ip": f"{net}.7",
                                       "end_ip": f"{net}.8"}).status_code == 403
    assert user_api.put(f"ipranges/{iprange['id']}/", {"comment": "mine"}).status_code == 403
    assert user_api.delete(f"ipranges/{iprange['id']}/").status_code == 403
    assert api.get(f"ipranges/{iprange['id']}/").json() == iprange
