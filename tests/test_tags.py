"""Tags through the API: create/read/update/delete, tagging nodes, a tag's nodes, the machine
filters `tags` and `not_tags`, and what a machine shows in `tag_names`."""

from __future__ import annotations

import secrets

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import add_node


def _machine(api: APIClient) -> str:
    mac = "52:54:00:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))
    response = api.post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                      "mac_addresses": mac})
    assert response.status_code == 200, response.text
    return response.json()["system_id"]


def _ok(response) -> dict:  # noqa: ANN001
    assert response.status_code == 200, response.text
    return response.json()


def test_create_read_update_delete_a_tag(api: APIClient) -> None:
    created = _ok(api.post("tags/", {"name": "gpu", "comment": "has a GPU", "kernel_opts": "nomodeset"}))
    assert created == {"name": "gpu", "definition": "", "comment": "has a GPU", "kernel_opts": "nomodeset",
                       "resource_uri": "/MAAS/api/2.0/tags/gpu/"}
    assert _ok(api.get("tags/gpu/")) == created
    assert "gpu" in [t["name"] for t in _ok(api.get("tags/"))]
    updated = _ok(api.put("tags/gpu/", {"name": "gpu2", "comment": "renamed"}))
    assert (updated["name"], updated["comment"], updated["kernel_opts"]) == ("gpu2", "renamed", "nomodeset")
    assert api.get("tags/gpu/").status_code == 404
    assert api.delete("tags/gpu2/").status_code == 204
    missing = api.get("tags/gpu2/")
    assert (missing.status_code, missing.text) == (404, "No Tag matches the given query.")


def test_tag_names_are_checked(api: APIClient) -> None:
    assert _ok(api.post("tags/", {"name": "taken"}))
    for name, words in (("", "required"), ("has space", "not a valid tag name"), ("x" * 257, "not a valid tag name"),
                        ("taken", "already exists")):
        response = api.post("tags/", {"name": name})
        assert response.status_code == 400 and words in response.json()["name"][0], (name, response.text)
    assert api.put("tags/taken/", {"name": "bad/name"}).status_code == 400


def test_only_admins_change_tags(api: APIClient, user_api: APIClient) -> None:
    _ok(api.post("tags/", {"name": "admins-only"}))
    assert user_api.post("tags/", {"name": "mine"}).status_code == 403
    assert user_api.put("tags/admins-only/", {"comment": "x"}).status_code == 403
    assert user_api.delete("tags/admins-only/").status_code == 403
    assert user_api.post("tags/admins-only/", {"add": "x"}, op="update_nodes").status_code == 403
    assert user_api.get("tags/admins-only/").status_code == 200


def test_update_nodes_tags_machines_and_they_show_it(api: APIClient, region: Region) -> None:
    _ok(api.post("tags/", {"name": "fast"}))
    _ok(api.post("tags/", {"name": "big"}))
    a, b, c = _machine(api), _machine(api), _machine(api)
    _, rack = add_node(region, "tagged-rack")
    assert _ok(api.post("tags/fast/", {"add": [a, b, rack, "nosuch"]},
                        op="update_nodes")) == {"added": 3, "removed": 0}
    assert _ok(api.post("tags/big/", {"add": a}, op="update_nodes")) == {"added": 1, "removed": 0}
    assert _ok(api.get(f"machines/{a}/"))["tag_names"] == ["big", "fast"]
    assert _ok(api.get(f"machines/{c}/"))["tag_names"] == []
    assert sorted(m["system_id"] for m in _ok(api.get("tags/fast/", op="machines"))) == sorted([a, b])
    tagged = _ok(api.get("tags/fast/", op="nodes"))
    assert sorted(n["system_id"] for n in tagged) == sorted([a, b, rack])
    assert {n["resource_uri"].split("/")[4] for n in tagged} == {"machines", "rackcontrollers"}
    assert [r["system_id"] for r in _ok(api.get("tags/fast/", op="rack_controllers"))] == [rack]
    # Removing (and adding again) is idempotent.
    assert _ok(api.post("tags/fast/", {"remove": b}, op="update_nodes")) == {"added": 0, "removed": 1}
    assert _ok(api.post("tags/fast/", {"add": a}, op="update_nodes")) == {"added": 1, "removed": 0}
    assert [m["system_id"] for m in _ok(api.get("tags/fast/", op="machines"))] == [a]
    # Deleting a tag takes it off its nodes.
    assert api.delete("tags/big/").status_code == 204
    assert _ok(api.get(f"machines/{a}/"))["tag_names"] == ["fast"]


def test_update_nodes_refuses_a_changed_definition(api: APIClient) -> None:
    _ok(api.post("tags/", {"name": "defined", "definition": "//node[@id='cpu']"}))
    machine = _machine(api)
    response = api.post("tags/defined/", {"add": machine, "definition": "//other"}, op="update_nodes")
    assert response.status_code == 409 and "doesn't match current definition" in response.text
    assert _ok(api.post("tags/defined/", {"add": machine, "definition": "//node[@id='cpu']"},
                        op="update_nodes")) == {"added": 1, "removed": 0}


def test_machines_filter_on_tags_and_not_tags(api: APIClient) -> None:
    for name in ("red", "blue"):
        _ok(api.post("tags/", {"name": name}))
    both, red, plain = _machine(api), _machine(api), _machine(api)
    _ok(api.post("tags/red/", {"add": [both, red]}, op="update_nodes"))
    _ok(api.post("tags/blue/", {"add": both}, op="update_nodes"))

    def ids(**params: object) -> set[str]:
        return {m["system_id"] for m in _ok(api.get("machines/", **params))} & {both, red, plain}

    assert ids(tags="red") == {both, red}
    assert ids(tags=["red", "blue"]) == {both}  # every tag must match
    assert ids(tags="red,blue") == {both}
    assert ids(not_tags="blue") == {red, plain}
    assert ids(tags="red", not_tags="blue") == {red}
    response = api.get("machines/", tags="nosuch")
    assert response.status_code == 400 and response.json() == {"tags": ["No such tag(s): 'nosuch'."]}
    assert api.get("machines/", not_tags="nosuch").status_code == 400
