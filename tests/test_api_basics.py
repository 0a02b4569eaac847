"""The API's conventions: auth, dispatch, trailing slashes, errors, describe, bodies."""

from __future__ import annotations

import base64

import httpx

from ironworks.lab.harness import APIClient, Region


def test_whoami_is_200_with_a_valid_key_and_401_with_a_wrong_one(api: APIClient, region: Region) -> None:
    assert api.get("users/", op="whoami").json()["username"] == "admin"
    ck, tk, _ = api.apikey.split(":")
    wrong = region.client(f"{ck}:{tk}:{'x' * 32}")
    response = wrong.get("users/", op="whoami")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'OAuth realm="OAuth"'
    assert "Invalid API key" in response.text


def test_no_credentials_is_401_and_version_is_anonymous(anon: APIClient) -> None:
    assert anon.get("users/").status_code == 401
    version = anon.get("version/")
    assert version.status_code == 200
    assert "authenticate-api" in version.json()["capabilities"]


def test_non_integer_timestamp_is_400(region: Region, api: APIClient) -> None:
    ck, tk, ts = api.apikey.split(":")
    header = (f'OAuth oauth_consumer_key="{ck}", oauth_token="{tk}", oauth_signature="%26{ts}", '
              'oauth_signature_method="PLAINTEXT", oauth_timestamp="soon", oauth_nonce="1"')
    response = httpx.get(api.url("users/"), headers={"Authorization": header})
    assert response.status_code == 400


def test_missing_trailing_slash_is_404_with_maas_text(api: APIClient) -> None:
    response = api.get("users")
    assert response.status_code == 404
    assert response.text == "Unknown API endpoint: /MAAS/api/2.0/users."


def test_unknown_op_is_400_and_unknown_method_is_405(api: APIClient) -> None:
    response = api.post("users/", op="frobnicate")
    assert response.status_code == 400
    assert response.text == "Unrecognised signature: method=POST op=frobnicate"
    response = api.request("PATCH", "users/")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


def test_describe_is_plain_json_with_uri_from_the_host_the_client_used(region: Region) -> None:
    response = httpx.get(region.url + "api/2.0/describe/",
                         headers={"Host": "vip.example:80", "X-Forwarded-Proto": "https"})
    assert response.headers["content-type"] == "application/json"
    doc = response.json()
    names = [r["name"] for r in doc["resources"]]
    assert names == sorted(names)
    users = next(h for h in doc["handlers"] if h["name"] == "UsersHandler")
    assert users["uri"] == "https://vip.example:80/MAAS/api/2.0/users/"
    assert users["path"] == "/MAAS/api/2.0/users/"
    create = next(a for a in users["actions"] if a["name"] == "create")
    assert ":param username:" in create["doc"].split("\n\n", 1)[1]
    assert response.headers["x-maas-api-hash"] == doc["hash"]


def test_old_api_is_gone(anon: APIClient, region: Region) -> None:
    assert httpx.get(region.url + "api/1.0/nodes/").status_code == 410
    assert httpx.get(region.url + "api/version/").text == "2.0"


def test_multipart_base64_parts_are_decoded(api: APIClient, region: Region) -> None:
    """python-libmaas sends every POST as multipart with base64-encoded parts."""
    boundary = "===============7096123456789=="
    def part(name: str, value: str) -> str:
        return (f"--{boundary}\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nMIME-Version: 1.0\r\n"
                f"Content-Transfer-Encoding: base64\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                f"{base64.b64encode(value.encode()).decode()}\r\n")
    body = part("name", "maas_name") + part("value", "rack-row-7") + f"--{boundary}--\r\n"
    response = api.request("POST", "maas/", params={"op": "set_config"}, content=body.encode(),
                           headers={"Content-Type": f'multipart/form-data; boundary="{boundary}"'})
    assert response.status_code == 200, response.text
    assert api.get("maas/", op="get_config", name="maas_name").json() == "rack-row-7"


def test_empty_multipart_body_is_accepted(api: APIClient) -> None:
    response = api.request("POST", "account/", params={"op": "create_authorisation_token"},
                           content=b"--B\r\n\r\n--B--",
                           headers={"Content-Type": 'multipart/form-data; boundary="B"'})
    assert response.status_code == 200
    assert set(response.json()) == {"consumer_key", "token_key", "token_secret", "name"}


def test_non_admin_write_is_403(user_api: APIClient) -> None:
    response = user_api.post("maas/", {"name": "maas_name", "value": "x"}, op="set_config")
    assert response.status_code == 403


def test_authenticate_with_password_returns_a_working_key(region: Region) -> None:
    response = httpx.post(region.url + "accounts/authenticate/",
                          data={"username": "admin", "password": "secret", "consumer": "me@laptop"})
    assert response.status_code == 200
    token = response.json()
    client = region.client(f"{token['consumer_key']}:{token['token_key']}:{token['token_secret']}")
    assert client.get("users/", op="whoami").status_code == 200
    bad = httpx.post(region.url + "accounts/authenticate/", data={"username": "admin", "password": "no"})
    assert bad.status_code == 403
