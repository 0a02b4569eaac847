"""Logging in with a password cannot be turned against the region: the hash runs off the event
loop, an unknown user takes as long to refuse as a wrong password, and one source that keeps
failing is told to wait (429) while others log in."""

from __future__ import annotations

import statistics
import threading
import time

import httpx

from ironworks.lab.harness import Region

SOURCE_PREFIX = "127.0.42."  # one address per test and client, so their throttles are their own


def login(region: Region, source: str, username: str, password: str) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=60) as http:
        return http.post(region.url + "accounts/authenticate/",
                         data={"username": username, "password": password, "consumer": "test"})


def timed_login(region: Region, source: str, username: str, password: str) -> float:
    started = time.perf_counter()
    assert login(region, source, username, password).status_code == 403
    return time.perf_counter() - started


def test_an_unknown_user_is_refused_as_slowly_as_a_wrong_password(region: Region) -> None:
    unknown, wrong = [], []
    for _ in range(7):  # interleaved, so that a busy machine slows both alike
        unknown.append(timed_login(region, SOURCE_PREFIX + "1", "nobody-by-this-name", "guess"))
        wrong.append(timed_login(region, SOURCE_PREFIX + "2", "admin", "guess"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.7 < ratio < 1.3, (unknown, wrong)


def test_whoami_stays_fast_while_16_clients_guess_passwords(region: Region) -> None:
    api = region.client()
    stop = threading.Event()

    def guess(i: int) -> None:
        for _ in range(3):  # under the throttle's limit: every guess is hashed
            if stop.is_set() or login(region, f"{SOURCE_PREFIX}{100 + i}", "admin", f"guess{i}").status_code != 403:
                return

    guessers = [threading.Thread(target=guess, args=(i,)) for i in range(16)]
    for thread in guessers:
        thread.start()
    latencies = []
    try:
        deadline = time.monotonic() + 60
        while any(t.is_alive() for t in guessers) and time.monotonic() < deadline:
            started = time.perf_counter()
            assert api.get("users/", op="whoami").status_code == 200
            latencies.append(time.perf_counter() - started)
    finally:
        stop.set()
        for thread in guessers:
            thread.join(60)
    assert len(latencies) >= 10, latencies
    p95 = statistics.quantiles(latencies, n=20)[-1]
    assert p95 < 1.0, f"whoami p95 {p95:.2f} s over {len(latencies)} calls"


def test_a_source_that_keeps_failing_waits_while_another_logs_in(region: Region) -> None:
    attacker, other = SOURCE_PREFIX + "200", SOURCE_PREFIX + "201"
    for _ in range(10):
        assert login(region, attacker, "admin", "wrong").status_code == 403
    refused = login(region, attacker, "admin", "wrong")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["content-type"].startswith("text/plain")
    assert "Too many failed logins" in refused.text
    # Another address is not affected, and a right password works there.
    assert login(region, other, "admin", "secret").status_code == 200
