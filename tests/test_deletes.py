"""Every DELETE that describe/ declares answers 204 *with* a Content-Type, as MAAS does (the MAAS
command-line client reads that header on every answer and crashed on its absence), and the
`maas` client deletes each kind of object with exit 0.

The walk is driven by describe: a resource that gains a DELETE must add a recipe below that
creates one object to delete, or this test fails naming it.
"""

from __future__ import annotations

import base64
import itertools
import secrets
from typing import Callable

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import add_node

PREFIX = "/MAAS/api/2.0/"
_n = itertools.count(1)


def _unique() -> str:
    return f"del{next(_n)}-{secrets.token_hex(2)}"


def _ok(response) -> dict:  # noqa: ANN001
    assert response.status_code == 200, response.text
    return response.json()


def _cidr() -> str:
    return f"10.{100 + next(_n)}.0.0/24"


def _mac() -> str:
    return "52:54:00:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def _zone(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    name = _ok(api.post("zones/", {"name": _unique()}))["name"]
    return f"zones/{name}/", ["zone", "delete", name]


def _pool(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    pool = _ok(api.post("resourcepools/", {"name": _unique()}))["id"]
    return f"resourcepool/{pool}/", ["resource-pool", "delete", str(pool)]


def _domain(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    domain = _ok(api.post("domains/", {"name": _unique()}))["id"]
    return f"domains/{domain}/", ["domain", "delete", str(domain)]


def _fabric(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    fabric = _ok(api.post("fabrics/"))["id"]
    return f"fabrics/{fabric}/", ["fabric", "delete", str(fabric)]


def _vlan_by_vid(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    fabric = _ok(api.post("fabrics/"))["id"]
    _ok(api.post(f"fabrics/{fabric}/vlans/", {"vid": "30"}))
    return f"fabrics/{fabric}/vlans/30/", ["vlan", "delete", str(fabric), "30"]


def _vlan_by_id(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    fabric = _ok(api.post("fabrics/"))["id"]
    vlan = _ok(api.post(f"fabrics/{fabric}/vlans/", {"vid": "31"}))["id"]
    return f"vlans/{vlan}/", None  # the CLI's `vlan delete` addresses VLANs by fabric and VID


def _space(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    space = _ok(api.post("spaces/", {"name": _unique()}))["id"]
    return f"spaces/{space}/", ["space", "delete", str(space)]


def _subnet_by_id(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    subnet = _ok(api.post("subnets/", {"cidr": _cidr()}))["id"]
    return f"subnets/{subnet}/", ["subnet", "delete", str(subnet)]


def _subnet_by_cidr(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    cidr = _ok(api.post("subnets/", {"cidr": _cidr()}))["cidr"]
    return f"subnets/{cidr}/", None  # the same objects as subnets/{id}/


def _iprange(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    net = _ok(api.post("subnets/", {"cidr": _cidr()}))["cidr"].removesuffix("0/24")
    iprange = _ok(api.post("ipranges/", {"type": "reserved", "start_ip": net + "10", "end_ip": net + "20"}))["id"]
    return f"ipranges/{iprange}/", ["iprange", "delete", str(iprange)]


def _machine(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    machine = _ok(api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                         "mac_addresses": _mac()}))["system_id"]
    return f"machines/{machine}/", ["machine", "delete", machine]


def _user(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    user = _ok(api.post("users/", {"username": _unique(), "password": "pw",
                                   "email": f"{_unique()}@example.com", "is_superuser": "0"}))["username"]
    return f"users/{user}/", ["user", "delete", user]


def _rack(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    _, rack = add_node(region, _unique())
    return f"rackcontrollers/{rack}/", ["rack-controller", "delete", rack]


def _region(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    _, other = add_node(region, _unique(), 3, services={"regiond": "off"})
    return f"regioncontrollers/{other}/", ["region-controller", "delete", other]


def _interface(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    node = api.get("regioncontrollers/").json()[0]["system_id"]
    iface = _ok(api.post(f"nodes/{node}/interfaces/", {"mac_address": _mac()}, op="create_physical"))["id"]
    return f"nodes/{node}/interfaces/{iface}/", ["interface", "delete", node, str(iface)]


def _tag(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    name = _ok(api.post("tags/", {"name": _unique()}))["name"]
    return f"tags/{name}/", ["tag", "delete", name]


def _sshkey(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    # A well-formed Ed25519 key: the type, then 32 key bytes.
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + secrets.token_bytes(32)
    key = _ok(api.post("account/prefs/sshkeys/", {"key": "ssh-ed25519 " + base64.b64encode(blob).decode()}))["id"]
    return f"account/prefs/sshkeys/{key}/", ["sshkey", "delete", str(key)]


def _notification(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    notification = _ok(api.post("notifications/", {"message": "to delete", "admins": "true"}))["id"]
    return f"notifications/{notification}/", ["notification", "delete", str(notification)]


def _static_route(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    source = _ok(api.post("subnets/", {"cidr": _cidr()}))
    destination = _ok(api.post("subnets/", {"cidr": _cidr()}))["id"]
    gateway = source["cidr"].removesuffix("0/24") + "1"
    route = _ok(api.post("static-routes/", {"source": source["id"], "destination": destination,
                                            "gateway_ip": gateway}))["id"]
    return f"static-routes/{route}/", ["static-route", "delete", str(route)]


def _package_repository(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    repo = _ok(api.post("package-repositories/", {"name": _unique(), "url": "http://ppa.example.com/ubuntu"}))["id"]
    return f"package-repositories/{repo}/", ["package-repository", "delete", str(repo)]


def _node(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    node = _ok(api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                      "mac_addresses": _mac()}))["system_id"]
    return f"nodes/{node}/", ["node", "delete", node]


def _device(api: APIClient, region: Region) -> tuple[str, list[str] | None]:
    device = _ok(api.post("devices/", {"mac_addresses": _mac()}))["system_id"]
    return f"devices/{device}/", ["device", "delete", device]


# handler path (as describe/ lists it) -> makes one object to delete: (API path, CLI words)
RECIPES: dict[str, Callable[[APIClient, Region], tuple[str, list[str] | None]]] = {
    "zones/{name}/": _zone, "resourcepool/{id}/": _pool, "domains/{id}/": _domain,
    "fabrics/{id}/": _fabric, "fabrics/{fabric_id}/vlans/{vid}/": _vlan_by_vid, "vlans/{vlan_id}/": _vlan_by_id,
    "spaces/{id}/": _space, "subnets/{id}/": _subnet_by_id, "subnets/{network}/{prefixlen}/": _subnet_by_cidr,
    "ipranges/{id}/": _iprange, "machines/{system_id}/": _machine, "users/{username}/": _user,
    "rackcontrollers/{system_id}/": _rack, "regioncontrollers/{system_id}/": _region,
    "nodes/{system_id}/interfaces/{id}/": _interface,
    "tags/{name}/": _tag, "account/prefs/sshkeys/{id}/": _sshkey, "notifications/{id}/": _notification,
    "static-routes/{id}/": _static_route, "package-repositories/{id}/": _package_repository,
    "nodes/{system_id}/": _node, "devices/{system_id}/": _device,
}


def declared_deletes(api: APIClient) -> list[str]:
    found = []
    for resource in api.get("describe/").json()["resources"]:
        for handler in filter(None, (resource.get("auth"), resource.get("anon"))):
            if any(a["method"] == "DELETE" for a in handler["actions"]):
                found.append(handler["path"].removeprefix(PREFIX))
    return sorted(found)


def test_every_declared_delete_answers_204_with_a_content_type(api: APIClient, region: Region) -> None:
    deletes = declared_deletes(api)
    assert len(deletes) >= 10, deletes
    missing = [d for d in deletes if d not in RECIPES]
    assert not missing, f"add a recipe for: {missing}"
    for handler_path in deletes:
        path, _ = RECIPES[handler_path](api, region)
        response = api.delete(path)
        assert response.status_code == 204, (path, response.status_code, response.text)
        assert response.headers.get("content-type"), (path, dict(response.headers))
        assert api.get(path).status_code == 404, path


def test_the_maas_client_deletes_each_kind_of_object(api: APIClient, region: Region, tmp_path) -> None:  # noqa: ANN001
    env = {"HOME": str(tmp_path)}
    region.env.update(env)
    try:
        assert region.run("maas", "login", "admin", region.url, region.apikey).returncode == 0
        for handler_path in declared_deletes(api):
            path, words = RECIPES[handler_path](api, region)
            if words is None:  # the same objects as another handler's (by id or by CIDR)
                continue
            result = region.run("maas", "admin", *words, check=False)
            assert result.returncode == 0, (words, result.stdout, result.stderr)
            assert api.get(path).status_code == 404, path
    finally:
        for key in env:
            region.env.pop(key, None)
