"""Every operation `describe/` declares, fed hostile values for each of its parameters, answers
with a MAAS status and a plain message: never a 5xx, never a traceback.  An operation on an
unknown object is 404, whatever values come with it.

The sweep is driven by describe, so an operation added later is swept without touching this file.
DELETE is left out: it takes no form parameters and would remove the objects the sweep aims at.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterator

import httpx

from ironworks.lab.harness import APIClient

PREFIX = "/MAAS/api/2.0/"
HOSTILE = ["", "-1", "0", "99999999999999999999999", "1e309", "nan", "abc", "true", "null", "[]",
           '{"a": 1}', "1.2.3.999", "10.77.0.0/33", "::::", "52:54:00", "10.77.0.5", "%00", "a\x00b",
           "\u00e9\u2603", "' OR 1=1 --", "x" * 5000]
EXPECTED = {200, 204, 400, 403, 404, 409}


def declared_operations(api: APIClient, object_of: dict[str, str | dict[str, str]], placeholders: dict[str, str]
                        ) -> Iterator[tuple[str, str, str | None, list[str], bool]]:
    """(method, path, op, parameters, names_an_object) for every GET/POST/PUT operation describe
    declares, with the path's placeholders filled in: per resource family from `object_of`,
    then from `placeholders`."""
    doc = api.get("describe/").json()
    for resource in doc["resources"]:
        for handler in filter(None, (resource.get("auth"), resource.get("anon"))):
            path = handler["path"].removeprefix(PREFIX)
            names_an_object = "{" in path
            top = path.split("/")[0]
            if isinstance(object_of.get(top), dict):  # several placeholders, each its own object
                for placeholder, value in object_of[top].items():
                    path = path.replace(placeholder, value)
            elif top in object_of:
                path = re.sub(r"\{[a-z_]+\}", object_of[top], path)
            for placeholder, value in placeholders.items():
                path = path.replace(placeholder, value)
            assert "{" not in path, f"no object for {handler['path']}"
            for action in handler["actions"]:
                if action["method"] != "DELETE":
                    params = re.findall(r":param ([a-z_]+):", action.get("doc") or "") or ["name"]
                    yield action["method"], path, action["op"], params, names_an_object


def send(api: APIClient, method: str, path: str, op: str | None, fields: dict[str, str]) -> httpx.Response:
    fields = {**fields, **({"op": op} if op else {})}
    if method == "GET":
        return api.request("GET", path, params=fields)
    return api.request(method, path, data=fields)


def test_hostile_values_for_every_declared_parameter_get_a_plain_4xx(api: APIClient) -> None:
    # Real objects for the object-level URIs, so validation runs rather than a plain 404.
    assert api.post("subnets/", {"cidr": "10.77.0.0/24", "name": "sweep"}).status_code == 200
    iprange = api.post("ipranges/", {"type": "dynamic", "start_ip": "10.77.0.10",
                                     "end_ip": "10.77.0.20"}).json()["id"]
    machine = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                     "mac_addresses": "52:54:00:77:00:01"}).json()["system_id"]
    space = api.post("spaces/", {"name": "sweep"}).json()["id"]
    region_id = api.get("regioncontrollers/").json()[0]["system_id"]
    # A controller's interfaces: machines in status New refuse interface edits before validation.
    iface = api.post(f"nodes/{region_id}/interfaces/", {"mac_address": "52:54:00:77:00:02", "vlan": "5001"},
                     op="create_physical").json()["id"]
    assert api.post("tags/", {"name": "sweep"}).status_code == 200
    assert api.post("tags/sweep/", {"add": machine}, op="update_nodes").status_code == 200
    notification = api.post("notifications/", {"message": "sweep", "users": "true"}).json()["id"]
    assert api.post("subnets/", {"cidr": "10.78.0.0/24", "name": "sweep-dest"}).status_code == 200
    route = api.post("static-routes/", {"source": "sweep", "destination": "sweep-dest",
                                        "gateway_ip": "10.77.0.1"}).json()["id"]
    repo = api.post("package-repositories/", {"name": "sweep", "url": "http://ppa.example.com/ubuntu"}).json()["id"]
    key = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPWQNJC4ON4GjlJjbQbX3pSZ0fFdMkUeJ0QfNpsYGsSh sweep")
    sshkey = api.post("account/prefs/sshkeys/", {"key": key}).json()["id"]
    device = api.post("devices/", {"mac_addresses": "52:54:00:77:00:03", "parent": machine}).json()["system_id"]
    object_of: dict[str, str | dict[str, str]] = {
        "domains": "0", "fabrics": "0", "vlans": "5001", "resourcepool": "0", "zones": "default",
        "spaces": str(space), "ipranges": str(iprange), "machines": machine, "users": "admin",
        "rackcontrollers": region_id, "regioncontrollers": region_id,
        "nodes": {"{system_id}": region_id, "{id}": str(iface)}, "tags": "sweep",
        "notifications": str(notification), "static-routes": str(route),
        "package-repositories": str(repo), "account": str(sshkey), "discovery": "sweep", "devices": device}
    placeholders = {"{network}": "10.77.0.0", "{prefixlen}": "24", "{id}": "sweep"}  # subnets by name

    swept: Counter[tuple[str, str, str | None]] = Counter()
    statuses: Counter[int] = Counter()
    bad = []
    for method, path, op, params, _ in declared_operations(api, object_of, placeholders):
        for param in params:
            for value in HOSTILE:
                response = send(api, method, path, op, {param: value})
                swept[(method, path, op)] += 1
                statuses[response.status_code] += 1
                if (response.status_code not in EXPECTED or "Traceback" in response.text
                        or not response.headers.get("content-type")
                        or (response.status_code >= 400 and not response.text.strip())):
                    bad.append((method, path, op, param, value[:20], response.status_code, response.text[:200]))
    assert not bad, bad[:20]
    # The sweep really reached the operations: every resource family, and validation refused most.
    assert len(swept) >= 40, sorted(swept)
    assert {"machines/", f"machines/{machine}/", "subnets/", "ipranges/", "fabrics/0/vlans/", "ipaddresses/",
            f"nodes/{region_id}/interfaces/", f"nodes/{region_id}/interfaces/{iface}/", "nodes/",
            f"nodes/{region_id}/", "devices/", f"devices/{device}/"} <= {
        p for _, p, _ in swept}
    assert statuses[400] > statuses[200] > 0, statuses


def test_an_unknown_object_is_404_whatever_values_are_sent(api: APIClient) -> None:
    """MAAS looks the object up before it judges the values: 404, not a 400 about a field."""
    unknown = {"domains": "9999", "fabrics": "9999", "vlans": "9999", "resourcepool": "9999",
               "zones": "nosuch", "spaces": "9999", "ipranges": "9999", "machines": "xyz123",
               "users": "nosuch", "rackcontrollers": "xyz123", "regioncontrollers": "xyz123",
               "nodes": {"{system_id}": "xyz123", "{id}": "9999"},
               "tags": "nosuch", "notifications": "9999", "static-routes": "9999",
               "package-repositories": "9999", "account": "9999", "discovery": "nosuch", "devices": "xyz123"}
    placeholders = {"{network}": "10.250.0.0", "{prefixlen}": "24", "{id}": "9999"}
    answers: dict[tuple[str, str, str | None], set[int]] = {}
    for method, path, op, params, names_an_object in declared_operations(api, unknown, placeholders):
        if not names_an_object:
            continue
        for param in params:
            for value in ("", "-1", "x" * 5000, "1.2.3.999"):
                response = send(api, method, path, op, {param: value})
                answers.setdefault((method, path, op), set()).add(response.status_code)
    assert answers and all(codes == {404} for codes in answers.values()), {
        k: v for k, v in answers.items() if v != {404}}
    assert ("PUT", "machines/xyz123/", None) in answers and ("PUT", "subnets/10.250.0.0/24/", None) in answers
