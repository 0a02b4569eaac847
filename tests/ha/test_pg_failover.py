"""PostgreSQL failover (docs/ha.md §1): a primary and a synchronous streaming hot standby, started
here as the unprivileged database user on 127.0.0.21 and 127.0.0.22; a region whose
`database_host` lists both (primary first).  While a client writes continuously, the primary
dies and the standby is promoted a second later:

- requests during the gap get 503 with Retry-After, never a 500 or a dropped connection;
- `/MAAS/health/` is 503 while no writable database exists and 200 after promotion;
- the same region process writes again within seconds of the promotion (no restart);
- every write acknowledged before the failover is on the promoted server.

The scenario itself is in ironworks/lab/pgfailover.py (bench/region_failover.py runs it too).
"""

from __future__ import annotations

import threading
import time
from typing import Iterator

import psycopg
import pytest

from ironworks.lab.pgfailover import (
    FailoverReport,
    run_failover,
    start_region_on,
    stop_region,
)
from ironworks.lab.pgpair import PgPair

pytestmark = pytest.mark.slow

# Generous for a loaded 2-core machine; the figures measured are ~0.1 s (see docs/ha.md).
RECOVERY_BOUND_S = 5.0
GAP_S = 1.0


@pytest.fixture
def pair() -> Iterator[PgPair]:
    with PgPair() as p:
        yield p


@pytest.fixture
def region(pair: PgPair):  # noqa: ANN201
    r = start_region_on(pair)
    try:
        yield r
    finally:
        stop_region(r)


def test_standby_is_synchronous(pair: PgPair, region) -> None:  # noqa: ANN001
    """The setting that makes an acknowledged commit durable on the standby is in force, for
    the region's own sessions too, and the region's database_host lists both servers."""
    assert (pair.standby_name, "streaming", "sync") in pair.replication_state()
    assert region.run("maas-region", "local_config_get", "--database-host").stdout.strip() == \
        "127.0.0.21,127.0.0.22"
    # As the region connects: multi-host, read-write only, password auth over TCP.
    with psycopg.connect(pair.dsn(region.dbname)) as conn:
        assert conn.info.host == "127.0.0.21"
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)
        assert conn.execute("SHOW synchronous_standby_names").fetchone() == \
            (f"FIRST 1 ({pair.standby_name})",)
    # The standby must not wait for a standby of its own once promoted.
    assert pair.sql("postgres", "SHOW synchronous_standby_names", server=pair.standby) == [("",)]
    # ... and it names itself as the primary's synchronous_standby_names expects.
    conninfo = pair.sql("postgres", "SHOW primary_conninfo", server=pair.standby)[0][0]
    assert f"application_name={pair.standby_name}" in conninfo
    assert "host=127.0.0.21" in conninfo and "user=replicator" in conninfo


def test_secondary_region_joins_the_same_database(pair: PgPair, region) -> None:  # noqa: ANN001
    """docs/ha.md §2: a second region host configured with `maas-region local_config_set
    --database-host PRIMARY,STANDBY ...` and started with `maas-regiond` serves the same data."""
    second = start_region_on(pair, dbname=region.dbname, admin=False)
    try:
        assert region.client().post("zones/", {"name": "made-on-the-first"}).status_code == 200
        api = second.client(region.apikey)  # the same user, the same key
        assert "made-on-the-first" in {z["name"] for z in api.get("zones/").json()}
        assert api.post("zones/", {"name": "made-on-the-second"}).status_code == 200
        assert "made-on-the-second" in {z["name"] for z in region.client().get("zones/").json()}
        # Both regions are live processes of the cluster (`/MAAS/rpc/` on the first).
        assert _eventually_both(region, second), region.client(None).http.get(region.url + "rpc/").text
    finally:
        stop_region(second)


def _eventually_both(first, second, timeout: float = 10) -> bool:  # noqa: ANN001
    """`/MAAS/rpc/` learns of the second region through the change feed: allow it a moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = first.client(None).http.get(first.url + "rpc/").json()
        ports = {e[1] for eps in doc["eventloops"].values() for e in eps}
        if {first.port, second.port} <= ports:
            return True
        time.sleep(0.2)
    return False


def _check(report: FailoverReport, region) -> None:  # noqa: ANN001
    figures = report.figures()
    print(f"\nPostgreSQL failover ({report.how}): {figures}")
    log_tail = (region.home / "regiond.log").read_text()[-3000:]

    # Before: the writer was writing.
    assert len(report.acknowledged_before_kill) >= 20, figures

    # During the gap: 503 with Retry-After, nothing else.
    assert not report.other_failures, f"{report.describe_failures()}\n{log_tail}"
    assert figures["failed_5xx_other_than_503"] == 0
    timeline = report.timeline()
    assert report.during_outage, f"no write was attempted while the primary was down\n{timeline}"
    assert {a.status for a in report.during_outage} == {503}, timeline
    assert not report.missing_retry_after, "a 503 without Retry-After"
    assert all(a.retry_after.isdigit() for a in report.unavailable_503)
    assert not report.acknowledged_without_primary, "a write was acknowledged with no primary"

    # Health: 503 while nothing is writable, 200 after promotion.
    outage_health = report.health_without_primary
    assert outage_health, "no health check ran while the primary was down"
    assert {h.status for h in outage_health} == {503}, [(h.status, h.error) for h in outage_health]
    assert report.health_ok_after_promotion
    assert region.client(None).http.get(region.url + "health/").status_code == 200

    # Writes again, soon, from the same process (no restart).
    assert region.process.poll() is None, "the region exited"
    assert figures["promotion_to_first_write_s"] is not None
    assert 0 < figures["promotion_to_first_write_s"] <= RECOVERY_BOUND_S, f"{figures}\n{timeline}"
    assert figures["write_gap_s"] <= GAP_S + RECOVERY_BOUND_S, figures

    # Nothing acknowledged was lost: on the promoted server (SQL) and through the API.
    assert report.lost == [], f"acknowledged writes missing after failover: {report.lost[:20]}"
    assert figures["lost_acknowledged_writes"] == 0
    listed = region.client().get("zones/")
    assert listed.status_code == 200
    names = {z["name"] for z in listed.json()}
    assert {a.name for a in report.acknowledged} <= names


@pytest.mark.parametrize("how", ["kill", "stop"])
def test_primary_lost_standby_promoted_writes_resume(pair: PgPair, region, how: str) -> None:  # noqa: ANN001
    """`kill`: SIGKILL of every primary process (a crash); `stop`: `pg_ctl stop -m fast`."""
    pid = region.process.pid
    report = run_failover(pair, region, how=how, gap_s=GAP_S)
    _check(report, region)
    assert region.process.pid == pid
    # The writable server is now the standby's address, out of recovery.
    with psycopg.connect(pair.dsn(region.dbname)) as conn:
        assert conn.info.host == "127.0.0.22"
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)


def test_write_the_standby_never_got_is_never_acknowledged(pair: PgPair, region) -> None:  # noqa: ANN001
    """Why synchronous replication: with the standby's WAL receiver frozen, a write commits on
    the primary but is not acknowledged (the COMMIT waits for the standby's flush).  The primary
    then dies: the client gets 503, not a 200 for a write the promoted server might not have."""
    api = region.client()
    assert api.post("zones/", {"name": "before-pause"}).status_code == 200
    answers: list = []
    pair.pause_replication()
    try:
        writer = threading.Thread(
            target=lambda: answers.append(api.post("zones/", {"name": "unreplicated"})), daemon=True)
        writer.start()
        writer.join(2.0)
        assert writer.is_alive() and not answers, f"acknowledged without the standby: {answers}"
        # Committed locally on the primary, its session waiting for the standby's flush (the
        # region's heartbeat may be waiting too: with one synchronous standby, no write
        # completes while the standby does not confirm).
        waiting = pair.sql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
                           server=pair.primary)[0][0]
        assert waiting >= 1
        pair.kill_primary()
        writer.join(20)
        assert answers, "the blocked write never got an answer"
        assert answers[0].status_code == 503, (answers[0].status_code, answers[0].text)
        assert answers[0].headers.get("retry-after")
    finally:
        pair.resume_replication()
    pair.promote()
    deadline = time.monotonic() + RECOVERY_BOUND_S
    while (response := api.post("zones/", {"name": "after-promotion"})).status_code == 503 \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert response.status_code == 200, response.text
    names = {z["name"] for z in api.get("zones/").json()}
    assert {"before-pause", "after-promotion"} <= names
