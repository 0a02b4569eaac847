"""Zones, resource pools and domains: CRUD, validation, permissions and the in-use rules."""

from __future__ import annotations

import itertools
import secrets

import pytest

from ironworks.lab.harness import APIClient

_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}{secrets.token_hex(2)}"


def random_mac() -> str:
    return "52:54:00:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def machine(api: APIClient, **extra: str) -> dict:
    response = api.post("machines/", {"architecture": "amd64/generic", "mac_addresses": random_mac(), **extra})
    assert response.status_code == 200, response.text
    return response.json()


# -- zones ----------------------------------------------------------------------------------

def test_zone_crud(api: APIClient) -> None:
    assert "default" in [z["name"] for z in api.get("zones/").json()]
    name = unique("rack-row-")
    created = api.post("zones/", {"name": name, "description": "Row 7"}).json()
    assert created["name"] == name and created["description"] == "Row 7"
    assert created["resource_uri"] == f"/MAAS/api/2.0/zones/{name}/"
    assert api.get(f"zones/{name}/").json() == created
    renamed = api.put(f"zones/{name}/", {"name": name + "-b"}).json()
    assert renamed["name"] == name + "-b" and renamed["description"] == "Row 7"  # partial update
    assert api.delete(f"zones/{name}-b/").status_code == 204
    assert api.get(f"zones/{name}-b/").status_code == 404


@pytest.mark.parametrize("name", ["has space", "slash/y", "-leading", ""])
def test_zone_names_must_be_simple(api: APIClient, name: str) -> None:
    response = api.post("zones/", {"name": name})
    assert response.status_code == 400
    assert "name" in response.json()
    assert name == "" or name not in [z["name"] for z in api.get("zones/").json()]


def test_zone_name_must_be_unique(api: APIClient) -> None:
    name = unique("z")
    assert api.post("zones/", {"name": name}).status_code == 200
    response = api.post("zones/", {"name": name})
    assert response.status_code == 400
    assert response.json() == {"name": [f"A zone named '{name}' already exists."]}
    other = unique("z")
    api.post("zones/", {"name": other})
    assert api.put(f"zones/{other}/", {"name": name}).status_code == 400


def test_default_zone_cannot_be_deleted_or_renamed(api: APIClient) -> None:
    response = api.delete("zones/default/")
    assert response.status_code == 400
    assert "default zone" in response.text
    assert api.put("zones/default/", {"name": "other"}).status_code == 400
    assert api.get("zones/default/").status_code == 200


def test_deleting_a_zone_moves_its_machines_to_default(api: APIClient) -> None:
    name = unique("doomed")
    api.post("zones/", {"name": name})
    node = machine(api, zone=name)
    assert node["zone"]["name"] == name
    assert api.delete(f"zones/{name}/").status_code == 204
    assert api.get(f"machines/{node['system_id']}/").json()["zone"]["name"] == "default"


def test_zone_writes_need_an_admin_and_reads_do_not(api: APIClient, user_api: APIClient, anon: APIClient) -> None:
    name = unique("z")
    api.post("zones/", {"name": name})
    assert user_api.get(f"zones/{name}/").status_code == 200
    assert user_api.post("zones/", {"name": unique("z")}).status_code == 403
    assert user_api.put(f"zones/{name}/", {"description": "x"}).status_code == 403
    assert user_api.delete(f"zones/{name}/").status_code == 403
    assert anon.get("zones/").status_code == 401
    assert api.get(f"zones/{name}/").json()["description"] == ""


def test_unknown_zone_is_404(api: APIClient) -> None:
    for response in (api.get("zones/nowhere/"), api.put("zones/nowhere/", {"description": "x"}),
                     api.delete("zones/nowhere/")):
        assert response.status_code == 404
        assert response.text == "No Zone matches the given query."


# -- resource pools -------------------------------------------------------------------------

def test_pool_crud_by_id_and_by_name(api: APIClient) -> None:
    name = unique("gpu-")
    created = api.post("resourcepools/", {"name": name, "description": "GPUs"}).json()
    assert created["resource_uri"] == f"/MAAS/api/2.0/resourcepool/{created['id']}/"
    assert api.get(f"resourcepool/{created['id']}/").json() == created
    assert api.get(f"resourcepool/{name}/").json() == created
    assert name in [p["name"] for p in api.get("resourcepools/").json()]
    updated = api.put(f"resourcepool/{created['id']}/", {"description": "More GPUs"}).json()
    assert updated["name"] == name and updated["description"] == "More GPUs"
    assert api.delete(f"resourcepool/{created['id']}/").status_code == 204
    assert api.get(f"resourcepool/{created['id']}/").text == "No ResourcePool matches the given query."


def test_pool_validation(api: APIClient) -> None:
    name = unique("p")
    api.post("resourcepools/", {"name": name})
    assert api.post("resourcepools/", {"name": name}).json() == {
        "name": [f"A resource pool named '{name}' already exists."]}
    assert api.post("resourcepools/", {"name": "bad/name"}).status_code == 400
    assert api.post("resourcepools/", {}).json() == {"name": ["This field is required."]}


def test_default_pool_cannot_be_deleted(api: APIClient) -> None:
    response = api.delete("resourcepool/0/")
    assert response.status_code == 400
    assert response.text == "The default resource pool cannot be deleted."
    assert api.get("resourcepool/0/").json()["name"] == "default"


def test_pool_with_machines_cannot_be_deleted(api: APIClient) -> None:
    name = unique("busy")
    pool = api.post("resourcepools/", {"name": name}).json()
    node = machine(api, pool=name)
    assert node["pool"]["id"] == pool["id"]
    response = api.delete(f"resourcepool/{pool['id']}/")
    assert response.status_code == 400
    assert "contains 1 machine(s)" in response.text
    assert api.get(f"resourcepool/{pool['id']}/").status_code == 200
    api.put(f"machines/{node['system_id']}/", {"pool": "default"})
    assert api.delete(f"resourcepool/{pool['id']}/").status_code == 204


def test_pool_writes_need_an_admin(api: APIClient, user_api: APIClient) -> None:
    pool = api.post("resourcepools/", {"name": unique("p")}).json()
    assert user_api.get(f"resourcepool/{pool['id']}/").status_code == 200
    assert user_api.post("resourcepools/", {"name": unique("p")}).status_code == 403
    assert user_api.put(f"resourcepool/{pool['id']}/", {"name": "x"}).status_code == 403
    assert user_api.delete(f"resourcepool/{pool['id']}/").status_code == 403
    assert api.get(f"resourcepool/{pool['id']}/").json() == pool


def test_unknown_pool_is_404(api: APIClient) -> None:
    assert api.get("resourcepool/99999/").status_code == 404
    assert api.delete("resourcepool/nope/").status_code == 404


# -- domains --------------------------------------------------------------------------------

def test_domain_crud(api: APIClient) -> None:
    name = unique("lab") + ".example.com"
    created = api.post("domains/", {"name": name, "authoritative": "false", "ttl": "300"}).json()
    assert (created["name"], created["authoritative"], created["ttl"], created["is_default"]) == (name, False, 300, False)
    assert created["resource_uri"] == f"/MAAS/api/2.0/domains/{created['id']}/"
    assert created["resource_record_count"] == 0
    assert api.get(f"domains/{created['id']}/").json() == created
    assert api.get(f"domains/{name}/").json() == created
    updated = api.put(f"domains/{created['id']}/", {"ttl": ""}).json()
    assert updated["ttl"] is None and updated["authoritative"] is False  # blank TTL clears it
    assert api.delete(f"domains/{created['id']}/").status_code == 204
    assert api.get(f"domains/{created['id']}/").text == "No Domain matches the given query."


@pytest.mark.parametrize("name", ["under_score.com", "-lead.com", "trail-.com", "a..b", "sp ace", "x" * 64 + ".com", ""])
def test_domain_names_must_be_dns_names(api: APIClient, name: str) -> None:
    response = api.post("domains/", {"name": name})
    assert response.status_code == 400
    assert "name" in response.json()


@pytest.mark.parametrize("ttl", ["0", "604801", "-5", "soon"])
def test_domain_ttl_must_be_a_sensible_number(api: APIClient, ttl: str) -> None:
    name = unique("ttl") + ".test"
    response = api.post("domains/", {"name": name, "ttl": ttl})
    assert response.status_code == 400
    assert "ttl" in response.json()
    assert name not in [d["name"] for d in api.get("domains/").json()]


def test_domain_authoritative_must_be_a_boolean(api: APIClient) -> None:
    response = api.post("domains/", {"name": unique("b") + ".test", "authoritative": "maybe"})
    assert response.status_code == 400
    assert "authoritative" in response.json()


def test_domain_names_are_unique_ignoring_case(api: APIClient) -> None:
    name = unique("dup") + ".test"
    api.post("domains/", {"name": name})
    response = api.post("domains/", {"name": name.upper()})
    assert response.status_code == 400
    assert "already exists" in response.json()["name"][0]


def test_set_default_moves_the_default_and_new_machines_follow(api: APIClient) -> None:
    name = unique("new-default") + ".test"
    domain = api.post("domains/", {"name": name}).json()
    response = api.post(f"domains/{domain['id']}/", op="set_default")
    assert response.status_code == 200 and response.json()["is_default"] is True
    defaults = [d["name"] for d in api.get("domains/").json() if d["is_default"]]
    assert defaults == [name]
    assert machine(api)["domain"]["name"] == name
    refused = api.delete(f"domains/{domain['id']}/")
    assert refused.status_code == 400 and "default domain" in refused.text
    api.post("domains/0/", op="set_default")
    assert api.get("domains/0/").json()["is_default"] is True


def test_default_domain_cannot_be_deleted(api: APIClient) -> None:
    default = next(d for d in api.get("domains/").json() if d["is_default"])
    response = api.delete(f"domains/{default['id']}/")
    assert response.status_code == 400
    assert api.get(f"domains/{default['id']}/").status_code == 200


def test_domain_used_by_nodes_cannot_be_deleted(api: APIClient) -> None:
    name = unique("used") + ".test"
    domain = api.post("domains/", {"name": name}).json()
    machine(api, domain=name)
    machine(api, domain=str(domain["id"]))
    response = api.delete(f"domains/{domain['id']}/")
    assert response.status_code == 400
    assert response.text == (f"Cannot delete domain '{name}': it is used by 2 node(s). "
                             "Move them to another domain first.")
    assert api.get(f"domains/{domain['id']}/").status_code == 200


def test_domain_writes_need_an_admin(api: APIClient, user_api: APIClient) -> None:
    domain = api.post("domains/", {"name": unique("perm") + ".test"}).json()
    assert user_api.get(f"domains/{domain['id']}/").status_code == 200
    assert user_api.post("domains/", {"name": unique("x") + ".test"}).status_code == 403
    assert user_api.put(f"domains/{domain['id']}/", {"ttl": "5"}).status_code == 403
    assert user_api.post(f"domains/{domain['id']}/", op="set_default").status_code == 403
    assert user_api.delete(f"domains/{domain['id']}/").status_code == 403
    assert api.get(f"domains/{domain['id']}/").json() == domain


def test_unknown_domain_is_404(api: APIClient) -> None:
    assert api.get("domains/424242/").status_code == 404
    assert api.post("domains/424242/", op="set_default").status_code == 404
