"""Machines: partial updates (and what a refused update leaves alone), and the read filters."""

from __future__ import annotations

import secrets

import pytest

from ironworks.lab.harness import APIClient, Region


def random_mac() -> str:
    return "52:54:03:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def new_machine(api: APIClient, **data: object) -> dict:
    response = api.post("machines/", {"architecture": "amd64/generic", "mac_addresses": random_mac(), **data})
    assert response.status_code == 200, response.text
    return response.json()


def power(region: Region, system_id: str) -> tuple[str, dict]:
    return tuple(region.sql("SELECT power_type, power_parameters FROM node WHERE system_id = %s",
                            (system_id,))[0])  # type: ignore[return-value]


def test_update_changes_only_the_given_fields(api: APIClient) -> None:
    m = new_machine(api, description="before")
    response = api.put(f"machines/{m['system_id']}/", {"cpu_count": "8", "memory": "16384"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["cpu_count"], updated["memory"]) == (8, 16384)
    unchanged = {k: v for k, v in updated.items() if k not in ("cpu_count", "memory")}
    assert unchanged == {k: v for k, v in m.items() if k not in ("cpu_count", "memory")}


def test_update_everything(api: APIClient) -> None:
    api.post("zones/", {"name": "upd-zone"})
    api.post("resourcepools/", {"name": "upd-pool"})
    api.post("domains/", {"name": "upd.example"})
    m = new_machine(api)
    updated = api.put(f"machines/{m['system_id']}/", {
        "hostname": "renamed", "domain": "upd.example", "zone": "upd-zone", "pool": "upd-pool",
        "description": "after", "architecture": "arm64", "min_hwe_kernel": "ga-24.04"}).json()
    assert (updated["hostname"], updated["fqdn"]) == ("renamed", "renamed.upd.example")
    assert (updated["zone"]["name"], updated["pool"]["name"]) == ("upd-zone", "upd-pool")
    assert (updated["description"], updated["architecture"]) == ("after", "arm64/generic")
    assert updated["min_hwe_kernel"] == "ga-24.04"
    cleared = api.put(f"machines/{m['system_id']}/", {"min_hwe_kernel": ""}).json()
    assert cleared["min_hwe_kernel"] is None


def test_fqdn_hostname_moves_the_machine_to_that_domain(api: APIClient) -> None:
    api.post("domains/", {"name": "fq.example"})
    m = new_machine(api)
    updated = api.put(f"machines/{m['system_id']}/", {"hostname": "web1.fq.example"}).json()
    assert (updated["hostname"], updated["domain"]["name"]) == ("web1", "fq.example")
    response = api.put(f"machines/{m['system_id']}/", {"hostname": "web1.fq.example", "domain": "maas"})
    assert response.status_code == 400
    assert "differs" in response.json()["hostname"][0]


def test_domain_can_be_given_by_id_as_python_libmaas_sends_it(api: APIClient) -> None:
    domain = api.post("domains/", {"name": "byid.example"}).json()
    m = new_machine(api)
    updated = api.put(f"machines/{m['system_id']}/", {"domain": str(domain["id"])}).json()
    assert updated["domain"]["name"] == "byid.example"


def test_power_parameters_fields_merge_and_json_replaces(api: APIClient, region: Region) -> None:
    m = new_machine(api, power_type="ipmi", power_parameters_power_address="10.1.1.1",
                    power_parameters_power_user="admin")
    sid = m["system_id"]
    api.put(f"machines/{sid}/", {"power_parameters_power_pass": "pw"})
    assert power(region, sid) == ("ipmi", {"power_address": "10.1.1.1", "power_user": "admin", "power_pass": "pw"})
    api.put(f"machines/{sid}/", {"power_parameters": '{"power_address": "10.1.1.2"}'})
    assert power(region, sid) == ("ipmi", {"power_address": "10.1.1.2"})
    # A new power type starts from an empty set of parameters.
    response = api.put(f"machines/{sid}/", {"power_type": "redfish", "power_parameters_power_address": "10.1.1.3"})
    assert response.status_code == 200 and response.json()["power_type"] == "redfish"
    assert power(region, sid) == ("redfish", {"power_address": "10.1.1.3"})
    api.put(f"machines/{sid}/", {"power_type": "manual"})
    assert power(region, sid) == ("manual", {})


UPDATE_INVALID = [
    ({"cpu_count": "-1"}, "cpu_count", "greater than or equal to 0"),
    ({"cpu_count": "many"}, "cpu_count", "Enter a whole number."),
    ({"memory": "1.5"}, "memory", "Enter a whole number."),
    ({"memory": str(2**31)}, "memory", "less than or equal to 2147483647"),
    ({"architecture": "vax"}, "architecture", "'vax' is not a valid architecture"),
    ({"hostname": "two words"}, "hostname", "is not a valid hostname"),
    ({"zone": "nowhere"}, "zone", "No zone named 'nowhere' exists."),
    ({"pool": "nowhere"}, "pool", "No resource pool named 'nowhere' exists."),
    ({"domain": "nowhere"}, "domain", "No domain named 'nowhere' exists."),
    ({"power_type": "carrier-pigeon"}, "power_type", "Select a valid choice."),
    ({"power_type": "webhook"}, "power_parameters", "power_parameters_power_on_uri"),
    ({"power_parameters_power_flux": "1"}, "power_parameters", "Unknown power parameter(s) for power type 'ipmi': power_flux"),
    ({"min_hwe_kernel": "latest"}, "min_hwe_kernel", "is not a valid kernel"),
]


@pytest.mark.parametrize("change,field,message", UPDATE_INVALID, ids=[f for _, f, _m in UPDATE_INVALID])
def test_invalid_update_is_400_and_changes_nothing(api: APIClient, region: Region, change: dict,
                                                   field: str, message: str) -> None:
    m = new_machine(api, power_type="ipmi", power_parameters_power_address="10.2.2.2")
    # Valid changes in the same request are not applied either.
    response = api.put(f"machines/{m['system_id']}/", {"description": "half-done", **change})
    assert response.status_code == 400, response.text
    errors = response.json()
    assert field in errors and any(message in text for text in errors[field]), errors
    assert api.get(f"machines/{m['system_id']}/").json() == m
    assert power(region, m["system_id"]) == ("ipmi", {"power_address": "10.2.2.2"})


def test_renaming_to_a_taken_hostname_is_refused(api: APIClient) -> None:
    new_machine(api, hostname="taken-name")
    m = new_machine(api)
    response = api.put(f"machines/{m['system_id']}/", {"hostname": "taken-name"})
    assert response.json() == {"hostname": ["A node with hostname 'taken-name' already exists."]}
    assert api.get(f"machines/{m['system_id']}/").json()["hostname"] == m["hostname"]
    # Keeping its own hostname is fine.
    assert api.put(f"machines/{m['system_id']}/", {"hostname": m["hostname"]}).status_code == 200


def test_updating_needs_an_admin(api: APIClient, user_api: APIClient) -> None:
    m = new_machine(api)
    assert user_api.put(f"machines/{m['system_id']}/", {"description": "mine"}).status_code == 403
    assert api.get(f"machines/{m['system_id']}/").json() == m


# -- filters --------------------------------------------------------------------------------

def ids(response) -> set[str]:  # noqa: ANN001
    assert response.status_code == 200, response.text
    return {m["system_id"] for m in response.json()}


def test_filters(api: APIClient, region: Region) -> None:
    api.post("zones/", {"name": "filter-zone"})
    api.post("resourcepools/", {"name": "filter-pool"})
    api.post("domains/", {"name": "filter.example"})
    mac = random_mac()
    a = new_machine(api, hostname="filter-a", zone="filter-zone", mac_addresses=mac)
    b = new_machine(api, hostname="filter-b", pool="filter-pool", architecture="arm64/generic")
    c = new_machine(api, hostname="filter-c", domain="filter.example")
    assert ids(api.get("machines/", hostname=["filter-a", "filter-b.maas"])) == {a["system_id"], b["system_id"]}
    assert ids(api.get("machines/", id=[a["system_id"], c["system_id"]])) == {a["system_id"], c["system_id"]}
    assert ids(api.get("machines/", mac_address=mac.upper())) == {a["system_id"]}
    assert ids(api.get("machines/", zone="filter-zone")) == {a["system_id"]}
    assert ids(api.get("machines/", pool="filter-pool")) == {b["system_id"]}
    assert ids(api.get("machines/", domain="filter.example")) == {c["system_id"]}
    assert b["system_id"] in ids(api.get("machines/", arch="arm64"))
    assert a["system_id"] not in ids(api.get("machines/", arch="arm64/generic"))
    # Different filters must all match.
    assert ids(api.get("machines/", hostname=["filter-a", "filter-b"], zone="filter-zone")) == {a["system_id"]}
    assert {a["system_id"], b["system_id"]} <= ids(api.get("machines/", status="new"))
    assert ids(api.get("machines/", status="deployed", hostname="filter-a")) == set()
    region.sql("UPDATE node SET owner_id = (SELECT id FROM \"user\" WHERE username = 'admin') "
               "WHERE system_id = %s", (c["system_id"],))
    assert ids(api.get("machines/", owner="admin")) == {c["system_id"]}
    assert api.get(f"machines/{c['system_id']}/").json()["owner"] == "admin"
    assert ids(api.get("machines/", hostname="no-such-host")) == set()


@pytest.mark.parametrize("query,field", [
    ({"zone": "no-zone"}, "zone"), ({"pool": "no-pool"}, "pool"), ({"domain": "no.domain"}, "domain"),
    ({"status": "sleeping"}, "status"), ({"mac_address": "not-a-mac"}, "mac_address"),
])
def test_bad_filters_are_400(api: APIClient, query: dict, field: str) -> None:
    response = api.get("machines/", **query)
    assert response.status_code == 400
    assert field in response.json()
