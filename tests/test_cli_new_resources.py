"""`maas $PROFILE …` for tags, SSH keys, notifications, static routes, package repositories and
discoveries: the commands MAAS's client has, with key=value arguments and JSON output."""

from __future__ import annotations

import base64
import secrets

from ironworks.lab.harness import APIClient
from tests.maascli import Maas, out


def test_tags_from_the_command_line(admin: Maas, api: APIClient) -> None:
    machine = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                     "mac_addresses": "52:54:00:c1:00:01"}).json()["system_id"]
    assert out(admin("admin", "tags", "create", "name=cli-tag", "comment=from the CLI"))["name"] == "cli-tag"
    assert "cli-tag" in [t["name"] for t in out(admin("admin", "tags", "read"))]
    assert out(admin("admin", "tag", "update-nodes", "cli-tag", f"add={machine}")) == {"added": 1, "removed": 0}
    assert [m["system_id"] for m in out(admin("admin", "tag", "machines", "cli-tag"))] == [machine]
    assert [m["system_id"] for m in out(admin("admin", "machines", "read", "tags=cli-tag"))] == [machine]
    assert out(admin("admin", "tag", "update", "cli-tag", "kernel_opts=quiet"))["kernel_opts"] == "quiet"
    assert admin("admin", "tag", "delete", "cli-tag").returncode == 0
    assert admin("admin", "tag", "read", "cli-tag").returncode != 0


def test_sshkeys_from_the_command_line(admin: Maas) -> None:
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + secrets.token_bytes(32)
    key = f"ssh-ed25519 {base64.b64encode(blob).decode()} cli@host"
    created = out(admin("admin", "sshkeys", "create", f"key={key}"))
    assert created["key"] == key
    assert [k["id"] for k in out(admin("admin", "sshkeys", "read"))] == [created["id"]]
    bad = admin("admin", "sshkeys", "create", "key=ssh-rsa AAAA")
    assert bad.returncode != 0 and "Invalid SSH public key" in bad.stdout + bad.stderr
    assert admin("admin", "sshkey", "delete", str(created["id"])).returncode == 0
    assert out(admin("admin", "sshkeys", "read")) == []


def test_notifications_routes_repositories_discoveries_from_the_command_line(admin: Maas, api: APIClient) -> None:
    note = out(admin("admin", "notifications", "create", "message=hello", "admins=true"))
    assert note["id"] in [n["id"] for n in out(admin("admin", "notifications", "read"))]
    assert admin("admin", "notification", "dismiss", str(note["id"])).returncode == 0
    assert note["id"] not in [n["id"] for n in out(admin("admin", "notifications", "read"))]
    assert admin("admin", "notification", "delete", str(note["id"])).returncode == 0

    api.post("subnets/", {"cidr": "10.91.0.0/24", "name": "cli-src"})
    api.post("subnets/", {"cidr": "10.92.0.0/24", "name": "cli-dst"})
    route = out(admin("admin", "static-routes", "create", "source=cli-src", "destination=cli-dst",
                      "gateway_ip=10.91.0.1", "metric=7"))
    assert route["metric"] == 7
    assert out(admin("admin", "static-route", "update", str(route["id"]), "metric=9"))["metric"] == 9
    assert admin("admin", "static-route", "delete", str(route["id"])).returncode == 0

    repo = out(admin("admin", "package-repositories", "create", "name=cli-ppa",
                     "url=http://ppa.example.com/ubuntu", "distributions=jammy,noble"))
    assert repo["distributions"] == ["jammy", "noble"]
    names = [r["name"] for r in out(admin("admin", "package-repositories", "read"))]
    assert {"main_archive", "ports_archive", "cli-ppa"} <= set(names)
    assert admin("admin", "package-repository", "delete", str(repo["id"])).returncode == 0

    assert out(admin("admin", "discoveries", "read")) == []
