"""`maas $PROFILE interfaces|interface|ipaddresses …`: a machine's interfaces, their links and
default gateway, and reserved addresses, the way an operator types them."""

from __future__ import annotations

from ironworks.lab.harness import APIClient, Region
from tests.maascli import Maas, out


def test_interfaces_links_and_default_gateway_from_the_command_line(admin: Maas, api: APIClient,
                                                                    region: Region) -> None:
    machine = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                     "mac_addresses": "52:54:00:c2:00:01"}).json()["system_id"]
    region.sql("UPDATE node SET status = 4 WHERE system_id = %s", (machine,))  # Ready
    subnet = api.post("subnets/", {"cidr": "10.81.0.0/24", "gateway_ip": "10.81.0.1", "vlan": "5001"}).json()
    tagged = api.post("fabrics/0/vlans/", {"vid": "81"}).json()["id"]
    eth0 = out(admin("admin", "interfaces", "read", machine))[0]
    assert eth0["name"] == "eth0"
    assert out(admin("admin", "interface", "update", machine, str(eth0["id"]), "vlan=5001"))["vlan"]["id"] == 5001
    vlan_iface = out(admin("admin", "interfaces", "create-vlan", machine, f"vlan={tagged}", "parent=eth0"))
    assert (vlan_iface["name"], vlan_iface["parents"]) == ("eth0.81", ["eth0"])
    linked = out(admin("admin", "interface", "link-subnet", machine, str(eth0["id"]), "mode=STATIC",
                       f"subnet={subnet['id']}", "ip_address=10.81.0.10"))
    link = linked["links"][0]
    assert (link["mode"], link["ip_address"]) == ("static", "10.81.0.10")
    out(admin("admin", "interface", "set-default-gateway", machine, str(eth0["id"]), f"link_id={link['id']}"))
    assert out(admin("admin", "machine", "read", machine))["default_gateways"]["ipv4"] == {
        "gateway_ip": "10.81.0.1", "link_id": link["id"]}
    refused = admin("admin", "interface", "set-default-gateway", machine, str(vlan_iface["id"]))
    assert refused.returncode != 0 and "has no usable gateways" in refused.stdout + refused.stderr
    unlinked = out(admin("admin", "interface", "unlink-subnet", machine, str(eth0["id"]), f"id={link['id']}"))
    assert unlinked["links"] == []
    assert admin("admin", "interface", "delete", machine, str(vlan_iface["id"])).returncode == 0
    assert [i["name"] for i in out(admin("admin", "interfaces", "read", machine))] == ["eth0"]


def test_ip_addresses_from_the_command_line(admin: Maas, api: APIClient) -> None:
    api.post("subnets/", {"cidr": "10.82.0.0/24", "gateway_ip": "10.82.0.1"})
    reserved = out(admin("admin", "ipaddresses", "reserve", "subnet=10.82.0.0/24", "hostname=printer"))
    assert (reserved["ip"], reserved["alloc_type_name"]) == ("10.82.0.2", "User reserved")
    chosen = out(admin("admin", "ipaddresses", "reserve", "ip=10.82.0.50", "mac=52:54:00:c2:00:99"))
    assert chosen["ip"] == "10.82.0.50"
    taken = admin("admin", "ipaddresses", "reserve", "ip=10.82.0.50")
    assert taken.returncode != 0 and "already in use" in taken.stdout + taken.stderr
    assert sorted(a["ip"] for a in out(admin("admin", "ipaddresses", "read"))) == ["10.82.0.2", "10.82.0.50"]
    assert [a["hostname"] for a in out(admin("admin", "ipaddresses", "read", "ip=10.82.0.2"))] == ["printer"]
    assert admin("admin", "ipaddresses", "release", "ip=10.82.0.2").returncode == 0
    assert [a["ip"] for a in out(admin("admin", "ipaddresses", "read"))] == ["10.82.0.50"]
    again = admin("admin", "ipaddresses", "release", "ip=10.82.0.2")
    assert again.returncode != 0 and "is not allocated" in again.stdout + again.stderr
