"""Fabrics and spaces through the API, against a real region and PostgreSQL."""

from __future__ import annotations

from ironworks.lab.harness import APIClient, Region
from ironworks.lab.nodes import add_node

API = "/MAAS/api/2.0/"


# -- fabrics ----------------------------------------------------------------------------------

def test_default_fabric_and_its_untagged_vlan(api: APIClient) -> None:
    fabric = api.get("fabrics/0/").json()
    assert fabric["name"] == "fabric-0"
    assert fabric["resource_uri"] == API + "fabrics/0/"
    (vlan,) = fabric["vlans"]
    assert (vlan["id"], vlan["vid"], vlan["name"], vlan["mtu"], vlan["fabric_id"]) == (5001, 0, "untagged", 1500, 0)
    assert vlan["dhcp_on"] is False and vlan["relay_vlan"] is None and vlan["space"] == "undefined"
    assert vlan["resource_uri"] == API + "vlans/5001/"
    assert any(f["id"] == 0 for f in api.get("fabrics/").json())


def test_create_fabric_gets_an_untagged_vlan(api: APIClient) -> None:
    response = api.post("fabrics/", {"name": "lab", "description": "rack row 7", "class_type": "10g"})
    assert response.status_code == 200, response.text
    fabric = response.json()
    assert (fabric["name"], fabric["description"], fabric["class_type"]) == ("lab", "rack row 7", "10g")
    (vlan,) = fabric["vlans"]
    assert (vlan["vid"], vlan["name"], vlan["mtu"], vlan["fabric"]) == (0, "untagged", 1500, "lab")
    assert api.get(f"fabrics/{fabric['id']}/vlans/0/").json() == vlan


def test_fabric_without_a_name_is_named_after_its_id(api: APIClient) -> None:
    fabric = api.post("fabrics/").json()
    assert fabric["name"] == f"fabric-{fabric['id']}"


def test_fabric_name_rules(api: APIClient) -> None:
    api.post("fabrics/", {"name": "taken"})
    cases = {"taken": "already exists", "fabric-9999": "reserved for the fabric with id 9999",
             "x" * 300: "at most 256 characters", "42": "cannot be just a number",
             "my fabric": "no spaces"}
    for name, message in cases.items():
        response = api.post("fabrics/", {"name": name})
        assert response.status_code == 400, name
        assert message in response.json()["name"][0]
    assert len([f for f in api.get("fabrics/").json() if f["name"] == "taken"]) == 1


def test_read_unknown_fabric_is_404(api: APIClient) -> None:
    for ref in ("9999", "no-such-fabric"):
        response = api.get(f"fabrics/{ref}/")
        assert response.status_code == 404
        assert response.text == "No Fabric matches the given query."


def test_update_fabric_is_partial(api: APIClient) -> None:
    fabric = api.post("fabrics/", {"name": "edit-me", "description": "d", "class_type": "1g"}).json()
    updated = api.put(f"fabrics/{fabric['id']}/", {"description": "new words"}).json()
    assert (updated["name"], updated["description"], updated["class_type"]) == ("edit-me", "new words", "1g")
    updated = api.put(f"fabrics/{fabric['id']}/", {"name": "edited", "class_type": ""}).json()
    assert (updated["name"], updated["class_type"]) == ("edited", None)
    # The default name of a fabric stays allowed for that fabric.
    assert api.put(f"fabrics/{fabric['id']}/", {"name": f"fabric-{fabric['id']}"}).status_code == 200
    response = api.put(f"fabrics/{fabric['id']}/", {"name": "fabric-0"})
    assert response.status_code == 400


def test_default_fabric_cannot_be_deleted(api: APIClient) -> None:
    response = api.delete("fabrics/0/")
    assert response.status_code == 400
    assert "default fabric" in response.text
    assert api.get("fabrics/0/").status_code == 200


def test_fabric_with_a_subnet_cannot_be_deleted(api: APIClient) -> None:
    fabric = api.post("fabrics/", {"name": "has-subnet"}).json()
    vlan_id = fabric["vlans"][0]["id"]
    assert api.post("subnets/", {"cidr": "10.77.0.0/24", "vlan": vlan_id}).status_code == 200
    response = api.delete(f"fabrics/{fabric['id']}/")
    assert response.status_code == 400
    assert "10.77.0.0/24" in response.text and "has-subnet" in response.text
    assert api.get(f"vlans/{vlan_id}/").status_code == 200


def test_fabric_with_an_interface_cannot_be_deleted(api: APIClient, region: Region) -> None:
    fabric = api.post("fabrics/", {"name": "has-nic"}).json()
    add_node(region, "nic-owner", 0, vlans=(fabric["vlans"][0]["id"],))
    response = api.delete(f"fabrics/{fabric['id']}/")
    assert response.status_code == 400
    assert "nic-owner:eth0" in response.text


def test_delete_fabric_takes_its_vlans(api: APIClient) -> None:
    fabric = api.post("fabrics/", {"name": "doomed"}).json()
    tagged = api.post(f"fabrics/{fabric['id']}/vlans/", {"vid": "20"}).json()
    assert api.delete(f"fabrics/{fabric['id']}/").status_code == 204
    assert api.get(f"fabrics/{fabric['id']}/").status_code == 404
    assert api.get(f"vlans/{tagged['id']}/").status_code == 404


def test_fabric_permissions(api: APIClient, user_api: APIClient, anon: APIClient) -> None:
    assert user_api.get("fabrics/").status_code == 200
    assert user_api.get("fabrics/0/").status_code == 200
    assert anon.get("fabrics/").status_code == 401
    assert user_api.post("fabrics/", {"name": "not-mine"}).status_code == 403
    assert user_api.put("fabrics/0/", {"description": "x"}).status_code == 403
    fabric = api.post("fabrics/", {"name": "guarded"}).json()
    assert user_api.delete(f"fabrics/{fabric['id']}/").status_code == 403
    assert all(f["name"] != "not-mine" for f in api.get("fabrics/").json())
    assert api.get("fabrics/0/").json()["description"] == ""


# -- spaces -----------------------------------------------------------------------------------

def test_create_and_read_space(api: APIClient) -> None:
    response = api.post("spaces/", {"name": "dmz", "description": "outside"})
    assert response.status_code == 200, response.text
    space = response.json()
    assert (space["name"], space["description"], space["vlans"], space["subnets"]) == ("dmz", "outside", [], [])
    assert space["resource_uri"] == f"{API}spaces/{space['id']}/"
    assert api.get(f"spaces/{space['id']}/").json() == space
    assert api.get("spaces/dmz/").json() == space
    assert space in api.get("spaces/").json()


def test_space_without_a_name_is_named_after_its_id(api: APIClient) -> None:
    space = api.post("spaces/").json()
    assert space["name"] == f"space-{space['id']}"


def test_space_name_rules(api: APIClient) -> None:
    api.post("spaces/", {"name": "mgmt"})
    for name, message in {"mgmt": "already exists", "undefined": "reserved", "7": "just a number",
                          "space-9999": "reserved"}.items():
        response = api.post("spaces/", {"name": name})
        assert response.status_code == 400, name
        assert message in response.json()["name"][0]


def test_space_lists_its_vlans_and_subnets(api: APIClient) -> None:
    space = api.post("spaces/", {"name": "storage"}).json()
    fabric = api.post("fabrics/", {"name": "storage-fabric"}).json()
    vlan = api.post(f"fabrics/{fabric['id']}/vlans/", {"vid": "30", "space": "storage"}).json()
    assert vlan["space"] == "storage"
    subnet = api.post("subnets/", {"cidr": "10.30.0.0/24", "vlan": vlan["id"]}).json()
    assert subnet["space"] == "storage"
    shown = api.get(f"spaces/{space['id']}/").json()
    assert [v["id"] for v in shown["vlans"]] == [vlan["id"]]
    assert [s["cidr"] for s in shown["subnets"]] == ["10.30.0.0/24"]
    assert shown["subnets"][0]["vlan"]["vid"] == 30


def test_update_and_delete_space(api: APIClient) -> None:
    space = api.post("spaces/", {"name": "temp", "description": "d"}).json()
    updated = api.put(f"spaces/{space['id']}/", {"name": "temporary"}).json()
    assert (updated["name"], updated["description"]) == ("temporary", "d")
    fabric = api.post("fabrics/", {"name": "space-user"}).json()
    vlan = api.post(f"fabrics/{fabric['id']}/vlans/", {"vid": "31", "space": str(space["id"])}).json()
    assert vlan["space"] == "temporary"
    assert api.delete(f"spaces/{space['id']}/").status_code == 204
    assert api.get(f"spaces/{space['id']}/").status_code == 404
    assert api.get(f"vlans/{vlan['id']}/").json()["space"] == "undefined"


def test_unknown_space_is_404(api: APIClient) -> None:
    response = api.get("spaces/424242/")
    assert (response.status_code, response.text) == (404, "No Space matches the given query.")
    assert api.put("spaces/nope/", {"name": "x"}).status_code == 404
    assert api.delete("spaces/nope/").status_code == 404


def test_space_permissions(api: APIClient, user_api: APIClient) -> None:
    space = api.post("spaces/", {"name": "locked"}).json()
    assert user_api.get("spaces/").status_code == 200
    assert user_api.post("spaces/", {"name": "mine"}).status_code == 403
    assert user_api.put(f"spaces/{space['id']}/", {"name": "stolen"}).status_code == 403
    assert user_api.delete(f"spaces/{space['id']}/").status_code == 403
    assert api.get(f"spaces/{space['id']}/").json()["name"] == "locked"
