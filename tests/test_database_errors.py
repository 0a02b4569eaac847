"""Every path that reaches the database answers bad values with a plain 4xx: the API, the login
(`/MAAS/accounts/authenticate/`) and the health check map database errors one way, bad bytes
and unstorable values are refused before they reach SQL, and nothing PostgreSQL says (nor any
SQL parameter, which may be a secret) reaches an answer or a log."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from ironworks.db.connect import Target, run_in_transaction
from ironworks.lab.harness import DB_PASSWORD, APIClient, Cluster, Region

# Words only PostgreSQL's (or its driver's) own messages use.
DATABASE_WORDS = ("postgres", "psycopg", "string literal", "invalid input syntax", "violates", "SQL")


def assert_plain_400(response: httpx.Response) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.text.strip()
    for word in (*DATABASE_WORDS, "Traceback"):
        assert word.lower() not in response.text.lower(), response.text


def login(region: Region, **form: str) -> httpx.Response:
    return httpx.post(region.url + "accounts/authenticate/", data=form, timeout=30)


def test_nul_in_a_login_username_is_a_plain_400(region: Region) -> None:
    response = login(region, username="ad\x00min", password="secret")
    assert_plain_400(response)
    assert "NUL" in response.text and response.headers["content-type"].startswith("text/plain")


def test_an_overlong_consumer_name_at_login_is_a_plain_400(region: Region) -> None:
    response = login(region, username="admin", password="secret", consumer="c" * 300)
    assert_plain_400(response)
    assert "consumer" in response.text
    assert login(region, username="admin", password="secret", consumer="c" * 255).status_code == 200


def test_a_login_racing_the_deletion_of_its_user_never_fails_with_500(region: Region, api: APIClient) -> None:
    answers: list[int] = []
    for round_ in range(20):
        name = f"racer{round_}"
        assert api.post("users/", {"username": name, "password": "pw", "email": ""}).status_code == 200
        start = threading.Barrier(2)

        def log_in() -> int:
            start.wait()
            return login(region, username=name, password="pw").status_code

        def delete() -> int:
            start.wait()
            return api.delete(f"users/{name}/").status_code

        with ThreadPoolExecutor(2) as pool:
            logged_in, deleted = pool.submit(log_in), pool.submit(delete)
            answers.append(logged_in.result())
            assert deleted.result() in (204, 400), deleted.result()
    assert set(answers) <= {200, 403}, answers


def test_a_nul_byte_in_an_api_parameter_is_a_plain_400_naming_it(api: APIClient) -> None:
    response = api.post("zones/", {"name": "a\x00b"})
    assert_plain_400(response)
    assert "Parameter name contains a NUL" in response.text
    response = api.get("machines/", hostname="a\x00b")
    assert_plain_400(response)
    assert api.get("zones/a%00b/").status_code == 400


def test_a_scoped_ipv6_address_is_a_field_error(api: APIClient) -> None:
    response = api.post("subnets/", {"cidr": "fe80::%eth0/64"})
    assert_plain_400(response)
    assert "scoped address" in response.json()["cidr"][0]
    assert api.post("subnets/", {"cidr": "fd00:77::/64", "name": "v6"}).status_code == 200
    response = api.post("ipranges/", {"type": "reserved", "start_ip": "fd00:77::10%eth0",
                                      "end_ip": "fd00:77::20"})
    assert_plain_400(response)
    assert "start_ip" in response.json()


def test_stored_text_has_a_maximum_length(api: APIClient) -> None:
    response = api.post("zones/", {"name": "long", "description": "d" * 50_000})
    assert response.status_code == 400
    assert "at most 8192 characters" in response.json()["description"][0]
    assert api.post("zones/", {"name": "long", "description": "d" * 8192}).status_code == 200


def test_a_value_the_database_refuses_is_a_400_without_its_words() -> None:
    from ironworks.region.api.dispatch import failure_response

    orig = psycopg.errors.InvalidTextRepresentation('invalid input syntax for type inet: "x%y"')
    response = failure_response(sa_exc.DataError("SELECT %(ip)s::inet", {"ip": "x%y"}, orig), "test")
    assert response.status_code == 400
    assert "x%y" not in response.body.decode() and "inet" not in response.body.decode()


def test_sql_parameters_stay_out_of_database_errors(cluster: Cluster) -> None:
    """A failed statement's text (what a logged traceback shows) carries no parameter values:
    they may be passwords or token secrets."""
    target = Target("127.0.0.1", cluster.pg.port, cluster.new_database(), "maas", DB_PASSWORD)

    async def fail(conn) -> None:  # noqa: ANN001
        await conn.execute(text("SELECT 1 / 0 WHERE :secret <> ''"), {"secret": "s3cr3t-token"})

    with pytest.raises(sa_exc.DataError) as raised:
        run_in_transaction(target, fail)
    assert "s3cr3t-token" not in str(raised.value)
