"""A signed request is accepted once: its nonce is remembered (in PostgreSQL, for every
region) while its timestamp is valid, and a timestamp far in the future is refused.  The one
exception: the very same GET, re-sent (as HAProxy does when a region died before answering),
is accepted a bounded number of times."""

from __future__ import annotations

import time
import uuid

import httpx

from ironworks.lab.harness import APIClient, Region


def header(apikey: str, *, nonce: str | None = None, timestamp: float | None = None) -> str:
    consumer, token, secret = apikey.split(":")
    return (f'OAuth realm="", oauth_version="1.0", oauth_signature_method="PLAINTEXT", '
            f'oauth_consumer_key="{consumer}", oauth_token="{token}", oauth_signature="%26{secret}", '
            f'oauth_nonce="{nonce or uuid.uuid4().hex}", oauth_timestamp="{int(timestamp or time.time())}"')


def whoami(api: APIClient, authorization: str) -> httpx.Response:
    return httpx.get(api.url("users/"), params={"op": "whoami"}, headers={"Authorization": authorization})


def test_a_replayed_signed_request_is_refused_and_a_fresh_one_accepted(region: Region, api: APIClient) -> None:
    signed = header(region.apikey)
    assert whoami(api, signed).status_code == 200
    replayed = httpx.get(api.url("users/"), headers={"Authorization": signed})  # another request
    assert replayed.status_code == 401
    assert replayed.headers["content-type"].startswith("text/plain")
    assert "Nonce already used" in replayed.text
    assert whoami(api, header(region.apikey)).status_code == 200
    # A nonce belongs to its key: another user's request may use the same one.
    other = region.create_user("nonce-owner", admin=False)
    nonce = uuid.uuid4().hex
    assert whoami(api, header(region.apikey, nonce=nonce)).status_code == 200
    assert whoami(api, header(other.apikey or "", nonce=nonce)).status_code == 200


def test_a_timestamp_far_in_the_future_is_refused(region: Region, api: APIClient) -> None:
    for timestamp in (10**15, time.time() + 3600):
        response = whoami(api, header(region.apikey, timestamp=timestamp))
        assert response.status_code == 401
        assert "future" in response.text
    # A client clock a little ahead is fine.
    assert whoami(api, header(region.apikey, timestamp=time.time() + 60)).status_code == 200


def test_a_huge_nonce_is_refused_plainly(region: Region, api: APIClient) -> None:
    response = whoami(api, header(region.apikey, nonce="n" * 5000))
    assert response.status_code == 401 and "Invalid nonce" in response.text


def test_expired_nonces_are_purged_as_requests_arrive(region: Region, api: APIClient) -> None:
    consumer, token, _ = region.apikey.split(":")
    region.sql("INSERT INTO oauth_nonce (consumer_key, token_key, nonce, expires) "
               "SELECT %s, %s, 'old-' || i, now() - interval '1 hour' FROM generate_series(1, 5) i",
               (consumer, token))
    for _ in range(3):
        assert api.get("users/", op="whoami").status_code == 200
    assert region.sql("SELECT count(*) FROM oauth_nonce WHERE nonce LIKE 'old-%%'") == [(0,)]


def test_a_replayed_header_on_a_body_request_is_refused(region: Region, api: APIClient) -> None:
    signed = header(region.apikey)
    first = httpx.post(api.url("zones/"), data={"name": "replay-a"}, headers={"Authorization": signed})
    assert first.status_code == 200, first.text
    again = httpx.post(api.url("zones/"), data={"name": "replay-b"}, headers={"Authorization": signed})
    assert again.status_code == 401 and "Nonce already used" in again.text
    assert api.get("zones/replay-b/").status_code == 404


def test_the_same_get_resent_by_the_front_door_is_accepted_a_bounded_number_of_times(
        region: Region, api: APIClient) -> None:
    signed = header(region.apikey)
    answers = [whoami(api, signed).status_code for _ in range(6)]
    assert answers == [200, 200, 200, 200, 401, 401]  # the request and HAProxy's 3 retries
