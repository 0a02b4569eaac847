"""Static routes, package repositories and discoveries through the API."""

from __future__ import annotations

from ironworks.lab.harness import APIClient


def _ok(response) -> dict:  # noqa: ANN001
    assert response.status_code == 200, response.text
    return response.json()


def test_static_routes_create_read_update_delete(api: APIClient) -> None:
    src = _ok(api.post("subnets/", {"cidr": "10.81.0.0/24", "name": "route-src"}))
    dst = _ok(api.post("subnets/", {"cidr": "10.82.0.0/24", "name": "route-dst"}))
    route = _ok(api.post("static-routes/", {"source": src["id"], "destination": "10.82.0.0/24",
                                            "gateway_ip": "10.81.0.1", "metric": "5"}))
    assert (route["source"]["id"], route["destination"]["id"], route["gateway_ip"], route["metric"]) == \
        (src["id"], dst["id"], "10.81.0.1", 5)
    assert route["source"]["vlan"]["id"] == src["vlan"]["id"]
    assert route["resource_uri"] == f"/MAAS/api/2.0/static-routes/{route['id']}/"
    assert _ok(api.get(f"static-routes/{route['id']}/")) == route
    assert route in _ok(api.get("static-routes/"))
    updated = _ok(api.put(f"static-routes/{route['id']}/", {"metric": "10", "gateway_ip": "10.81.0.254"}))
    assert (updated["metric"], updated["gateway_ip"]) == (10, "10.81.0.254")
    assert api.delete(f"static-routes/{route['id']}/").status_code == 204
    missing = api.get(f"static-routes/{route['id']}/")
    assert (missing.status_code, missing.text) == (404, "No StaticRoute matches the given query.")


def test_static_route_rules(api: APIClient, user_api: APIClient) -> None:
    _ok(api.post("subnets/", {"cidr": "10.83.0.0/24", "name": "r-a"}))
    _ok(api.post("subnets/", {"cidr": "10.84.0.0/24", "name": "r-b"}))
    _ok(api.post("subnets/", {"cidr": "2001:db8:83::/64", "name": "r-v6"}))

    def refused(**fields: str) -> dict:
        response = api.post("static-routes/", fields)
        assert response.status_code == 400, response.text
        return response.json()

    assert refused(source="r-a", destination="r-a", gateway_ip="10.83.0.1") == {
        "__all__": ["source and destination cannot be the same subnet."]}
    assert refused(source="r-a", destination="r-v6", gateway_ip="10.83.0.1") == {
        "__all__": ["source and destination must be the same IP version."]}
    assert refused(source="r-a", destination="r-b", gateway_ip="10.84.0.1") == {
        "gateway_ip": ["gateway_ip must be within the source subnet 10.83.0.0/24."]}
    assert "source" in refused(source="nosuch", destination="r-b", gateway_ip="10.83.0.1")
    assert "metric" in refused(source="r-a", destination="r-b", gateway_ip="10.83.0.1", metric="-1")
    assert set(refused()) == {"source", "destination", "gateway_ip"}
    route = _ok(api.post("static-routes/", {"source": "r-a", "destination": "r-b", "gateway_ip": "10.83.0.1"}))
    assert "already exists" in refused(source="r-a", destination="r-b", gateway_ip="10.83.0.1")["__all__"][0]
    # An update is checked against the stored values it keeps.
    response = api.put(f"static-routes/{route['id']}/", {"destination": "r-a"})
    assert response.json() == {"__all__": ["source and destination cannot be the same subnet."]}
    assert user_api.post("static-routes/", {"source": "r-a", "destination": "r-b",
                                            "gateway_ip": "10.83.0.2"}).status_code == 403
    assert user_api.get("static-routes/").status_code == 200


def test_the_ubuntu_archives_exist_and_cannot_be_deleted(api: APIClient) -> None:
    repos = {r["name"]: r for r in _ok(api.get("package-repositories/"))}
    main, ports = repos["main_archive"], repos["ports_archive"]
    assert main["url"] == "http://archive.ubuntu.com/ubuntu" and main["arches"] == ["amd64", "i386"]
    assert ports["url"] == "http://ports.ubuntu.com/ubuntu-ports" and "arm64" in ports["arches"]
    assert set(main) == {"id", "name", "url", "distributions", "disabled_pockets", "disabled_components",
                         "disable_sources", "components", "arches", "key", "enabled", "resource_uri"}
    refused = api.delete(f"package-repositories/{main['id']}/")
    assert (refused.status_code, refused.text) == (
        400, "This is a default Ubuntu repository. Please update it instead of deleting.")
    updated = _ok(api.put(f"package-repositories/{main['id']}/", {"disabled_pockets": "backports",
                                                                  "disabled_components": "universe,multiverse"}))
    assert (updated["disabled_pockets"], updated["disabled_components"]) == (["backports"], ["universe", "multiverse"])
    assert api.put(f"package-repositories/{main['id']}/", {"name": "renamed"}).status_code == 400
    assert api.put(f"package-repositories/{main['id']}/", {"components": "main"}).json() == {
        "components": ["This is a default Ubuntu repository. Please update 'disabled_components' instead."]}


def test_custom_repositories_and_their_rules(api: APIClient, user_api: APIClient) -> None:
    repo = _ok(api.post("package-repositories/", {"name": "ppa", "url": "http://ppa.example.com/ubuntu",
                                                  "distributions": "jammy", "components": ["main", "extra"],
                                                  "arches": "amd64"}))
    assert (repo["distributions"], repo["components"], repo["arches"], repo["enabled"]) == \
        (["jammy"], ["main", "extra"], ["amd64"], True)
    assert _ok(api.get(f"package-repositories/{repo['id']}/")) == repo

    def refused(**fields: str) -> dict:
        response = api.post("package-repositories/", {"name": "new", "url": "http://x.example.com/", **fields})
        assert response.status_code == 400, response.text
        return response.json()

    assert "Enter a valid URL" in refused(url="not a url")["url"][0]
    assert "already exists" in refused(name="ppa")["name"][0]
    assert "not a valid Ubuntu archive pocket" in refused(disabled_pockets="release")["disabled_pockets"][0]
    assert "not a valid architecture" in refused(arches="vax")["arches"][0]
    assert refused(disabled_components="universe") == {
        "disabled_components": ["This is a custom repository. Please update 'components' instead."]}
    assert user_api.post("package-repositories/", {"name": "u", "url": "http://u.example.com/"}).status_code == 403
    assert _ok(api.put(f"package-repositories/{repo['id']}/", {"enabled": "false"}))["enabled"] is False
    assert api.delete(f"package-repositories/{repo['id']}/").status_code == 204
    assert api.get(f"package-repositories/{repo['id']}/").status_code == 404


def test_discoveries_answer_as_maas_does_with_nothing_observed(api: APIClient) -> None:
    for op in (None, "by_unknown_mac", "by_unknown_ip", "by_unknown_ip_and_mac"):
        assert _ok(api.get("discovery/", **({"op": op} if op else {}))) == []
    missing = api.get("discovery/MTAuMC4wLjEsMDA6MDA6MDA6MDA6MDA6MDE=/")
    assert (missing.status_code, missing.text) == (404, "No Discovery matches the given query.")
