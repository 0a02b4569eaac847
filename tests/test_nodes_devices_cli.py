"""`maas $PROFILE nodes …`, `node …`, `devices …`, `device …`: the commands MAAS's client has
for them, with key=value arguments and JSON output."""

from __future__ import annotations

from ironworks.lab.harness import APIClient
from tests.maascli import Maas, out


def test_devices_from_the_command_line(admin: Maas, api: APIClient) -> None:
    parent = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                    "mac_addresses": "52:54:00:c2:00:01"}).json()["system_id"]
    created = out(admin("admin", "devices", "create", "mac_addresses=52:54:00:c2:00:02",
                        "mac_addresses=52:54:00:c2:00:03", "hostname=cli-device", f"parent={parent}"))
    device = created["system_id"]
    assert (created["hostname"], created["parent"], len(created["interface_set"])) == ("cli-device", parent, 2)
    assert [d["system_id"] for d in out(admin("admin", "devices", "read", "hostname=cli-device"))] == [device]
    assert out(admin("admin", "device", "update", device, "hostname=cli-device-2"))["hostname"] == "cli-device-2"
    owner_data = out(admin("admin", "device", "set-owner-data", device, "rack=r1"))["owner_data"]
    assert owner_data == {"rack": "r1"}
    in_use = admin("admin", "devices", "create", "mac_addresses=52:54:00:c2:00:02")
    assert in_use.returncode != 0 and "already in use" in in_use.stdout + in_use.stderr
    assert admin("admin", "device", "delete", device).returncode == 0
    assert admin("admin", "device", "read", device).returncode != 0


def test_nodes_from_the_command_line(admin: Maas, api: APIClient) -> None:
    machine = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                     "mac_addresses": "52:54:00:c2:00:11"}).json()["system_id"]
    listed = {n["system_id"]: n for n in out(admin("admin", "nodes", "read"))}
    assert listed[machine]["node_type_name"] == "Machine"
    types = {n["node_type"] for n in listed.values()}
    assert 0 in types and types & {3, 4}, types  # the machine, and this test's own region
    assert out(admin("admin", "node", "read", machine))["system_id"] == machine
    assert [n["system_id"] for n in out(admin("admin", "nodes", "read", f"id={machine}"))] == [machine]
    details = admin("admin", "node", "details", machine)
    assert details.returncode == 0, details.stderr
    assert admin("admin", "node", "delete", machine).returncode == 0
    assert admin("admin", "node", "read", machine).returncode != 0
