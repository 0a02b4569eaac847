"""Listing tags, SSH keys, notifications, static routes and package repositories costs a fixed
number of SQL statements whatever the row count; so does a machine listing with tags."""

from __future__ import annotations

import base64
import secrets

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import add_node

LISTS = ("tags/", "account/prefs/sshkeys/", "notifications/", "static-routes/", "package-repositories/",
         "machines/", "discovery/")


def queries(api: APIClient, path: str) -> int:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return int(response.headers["X-Ironworks-Queries"])


def populate(api: APIClient, region: Region, start: int, end: int) -> None:
    for i in range(start, end):
        tag = api.post("tags/", {"name": f"q-tag-{i}"}).json()["name"]
        _, machine = add_node(region, f"q-machine-{i}", 0)
        assert api.post(f"tags/{tag}/", {"add": machine}, op="update_nodes").status_code == 200
        blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + secrets.token_bytes(32)
        assert api.post("account/prefs/sshkeys/", {"key": "ssh-ed25519 " + base64.b64encode(blob).decode()}
                        ).status_code == 200
        assert api.post("notifications/", {"message": f"n{i}", "user": "admin"}).status_code == 200
        src = api.post("subnets/", {"cidr": f"10.{i}.0.0/24"}).json()["id"]
        dst = api.post("subnets/", {"cidr": f"10.{100 + i}.0.0/24"}).json()["id"]
        assert api.post("static-routes/", {"source": src, "destination": dst,
                                           "gateway_ip": f"10.{i}.0.1"}).status_code == 200
        assert api.post("package-repositories/", {"name": f"q-repo-{i}", "url": "http://r.example.com/"}
                        ).status_code == 200


def test_new_list_endpoints_use_a_fixed_number_of_queries(api: APIClient, region: Region) -> None:
    populate(api, region, 1, 3)
    few = {p: queries(api, p) for p in LISTS}
    populate(api, region, 3, 25)
    many = {p: queries(api, p) for p in LISTS}
    assert len(api.get("static-routes/").json()) == 24
    assert all(m["tag_names"] for m in api.get("machines/").json())
    assert many == few, (few, many)
    assert max(v for p, v in many.items() if p != "machines/") <= 5, many
