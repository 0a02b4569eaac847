"""Names that must be unique stay unique when many clients create them at once: the database's
unique indexes settle the race, and the losers hear exactly what a serial clash says."""

from __future__ import annotations

import secrets
import subprocess
import threading
from typing import Callable

import httpx

from ironworks.lab.harness import BIN, APIClient, Region


def case_variants(word: str, n: int) -> list[str]:
    """`n` different spellings of `word` that differ only in case."""
    variants = ["".join(c.upper() if mask >> i & 1 else c for i, c in enumerate(word)) for mask in range(n)]
    assert len(set(variants)) == n
    return variants


def at_once(region: Region, n: int, call: Callable[[APIClient, int], httpx.Response]) -> list[httpx.Response]:
    """`call(client, i)` for i in 0..n-1, from n threads released together."""
    barrier = threading.Barrier(n)
    responses: list[httpx.Response | None] = [None] * n

    def run(i: int) -> None:
        client = region.client()
        barrier.wait(30)
        responses[i] = call(client, i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(r is not None for r in responses)
    return responses  # type: ignore[return-value]


def one_winner(responses: list[httpx.Response], expected_refusal: Callable[[int], dict]) -> None:
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, [(r.status_code, r.text[:200]) for r in responses]
    for i, response in enumerate(responses):
        if response.status_code != 200:
            assert response.status_code == 400, response.text
            assert response.json() == expected_refusal(i)


def test_case_variant_hostnames_created_at_once_make_one_machine(region: Region) -> None:
    names = case_variants("racehost", 10)

    def create(api: APIClient, i: int) -> httpx.Response:
        return api.post("machines/", {"architecture": "amd64/generic", "hostname": names[i],
                                      "mac_addresses": "52:54:07:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))})

    one_winner(at_once(region, 10, create),
               lambda i: {"hostname": [f"A node with hostname '{names[i]}' already exists."]})
    assert region.sql("SELECT count(*) FROM node WHERE lower(hostname) = 'racehost'") == [(1,)]


def test_renaming_machines_to_case_variants_at_once_leaves_one_with_the_name(region: Region, api: APIClient) -> None:
    names = case_variants("renamed", 8)
    ids = [api.post("machines/", {"architecture": "amd64/generic", "mac_addresses": f"52:54:08:00:00:{i:02x}"})
           .json()["system_id"] for i in range(8)]

    def rename(client: APIClient, i: int) -> httpx.Response:
        return client.put(f"machines/{ids[i]}/", {"hostname": names[i]})

    one_winner(at_once(region, 8, rename),
               lambda i: {"hostname": [f"A node with hostname '{names[i]}' already exists."]})


def test_case_variant_domains_created_at_once_make_one_domain(region: Region) -> None:
    names = [f"{v}.example" for v in case_variants("race", 10)]

    def create(api: APIClient, i: int) -> httpx.Response:
        return api.post("domains/", {"name": names[i]})

    one_winner(at_once(region, 10, create), lambda i: {"name": [f"A domain named '{names[i]}' already exists."]})
    assert region.sql("SELECT count(*) FROM domain WHERE lower(name) = 'race.example'") == [(1,)]


def test_users_created_at_once_with_one_email_make_one_user(region: Region) -> None:
    def create(api: APIClient, i: int) -> httpx.Response:
        return api.post("users/", {"username": f"racer{i}", "email": "shared@example.com",
                                   "password": "pw", "is_superuser": "0"})

    one_winner(at_once(region, 20, create),
               lambda i: {"email": ["User with this email address already exists."]})
    assert region.sql("SELECT count(*) FROM \"user\" WHERE email = 'shared@example.com'") == [(1,)]


def test_an_email_differing_only_in_case_is_taken(api: APIClient) -> None:
    first = api.post("users/", {"username": "casey", "email": "Casey@Example.com", "password": "pw",
                                "is_superuser": "0"})
    assert first.status_code == 200, first.text
    again = api.post("users/", {"username": "casey2", "email": "casey@example.COM", "password": "pw",
                                "is_superuser": "0"})
    assert again.status_code == 400
    assert again.json() == {"email": ["User with this email address already exists."]}
    # No e-mail is not an e-mail: any number of users may have none.
    for name in ("nomail1", "nomail2"):
        assert api.post("users/", {"username": name, "email": "", "password": "pw",
                                   "is_superuser": "0"}).status_code == 200


def test_createadmin_run_at_once_creates_one_admin_and_says_why_in_one_line(region: Region) -> None:
    argv = [str(BIN / "maas-region"), "createadmin", "--username", "twin", "--password", "pw",
            "--email", "twin@example.com"]
    processes = [subprocess.Popen(argv, env=region.command_env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [(p.wait(120), p.stderr.read()) for p in processes]  # type: ignore[union-attr]
    for p in processes:
        p.stdout.close()  # type: ignore[union-attr]
        p.stderr.close()  # type: ignore[union-attr]
    assert [code for code, _ in results].count(0) == 1, results
    for code, stderr in results:
        if code != 0:
            assert code == 1
            assert stderr == "maas-region: username: A user with that username already exists.\n", stderr
    assert region.sql("SELECT count(*) FROM \"user\" WHERE username = 'twin'") == [(1,)]
