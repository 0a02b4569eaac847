"""The database connection budget against a real server with a small `max_connections`.

Per worker process: POOL_SIZE (5) + change feed + singleton lock + heartbeat/health = 8; per
region: workers × 8 + 1 (the master during start-up).  A server with max_connections=21 and the
default 3 superuser slots offers 18: one region of 1 worker (9) fits, a second of 2 workers (17)
would make 26, so it is refused with one line naming the numbers; a second of 1 worker (9, total
18) fits.
"""

from __future__ import annotations

import re
from typing import Iterator

import pytest

from ironworks.lab import hosts
from ironworks.lab.hosts import LabCluster, LabRegion
from ironworks.region.cluster import budget

pytestmark = pytest.mark.slow

ADDRESSES = ("127.0.0.17", "127.0.0.18", "127.0.0.19")


@pytest.fixture(scope="module")
def small_server() -> Iterator[LabCluster]:
    c = LabCluster(settings={"max_connections": "21"})
    try:
        yield c
    finally:
        c.destroy()


@pytest.fixture
def regions(small_server: LabCluster) -> Iterator[list[LabRegion]]:
    rs = hosts.make_regions(small_server, 3, workers=1, addresses=ADDRESSES, prefix="budget")
    try:
        yield rs
    finally:
        hosts.cleanup_regions(rs)


def test_budget_numbers() -> None:
    assert budget.PER_PROCESS == 8
    assert budget.region_need(1) == 9
    assert budget.region_need(2) == 17


def test_region_exceeding_max_connections_is_refused_with_the_numbers(
        small_server: LabCluster, regions: list[LabRegion]) -> None:
    first, second, third = regions
    assert small_server.sql("postgres", "SHOW max_connections") == [("21",)]
    reserved = int(small_server.sql("postgres", "SHOW superuser_reserved_connections")[0][0])
    first.start()  # needs 9 of 21 - reserved

    second.workers = 2
    second.configure()
    process = second.launch()
    try:
        code = process.wait(90)
    finally:
        hosts.stop_process(process)
    output = second.log_text()
    assert code == 1, output[-2000:]
    refusals = [ln for ln in output.splitlines() if ln.startswith("maas-regiond:")]
    assert len(refusals) == 1, output[-2000:]
    message = refusals[0]
    available = 21 - reserved
    assert "database connection budget exceeded" in message
    assert f"max_connections={21}" in message
    assert f"allows {available} connections" in message
    assert "need 9" in message and "needs 17" in message  # the live region, this one
    assert f"raise max_connections to at least {9 + 17 + reserved}" in message
    assert "Traceback" not in output
    # Refused before registering: no node, no process rows.
    assert first.sql("SELECT count(*) FROM node WHERE hostname = %s", (second.hostname,)) == [(0,)]

    # `maas-region db-budget` prints the same numbers as a table (run with the refused host's
    # configuration: it shows the live region and what this host would need).
    table = second.run("maas-region", "db-budget").stdout
    print(f"\n{message}\n{table}")
    lines = table.strip().splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == ["region", "workers", "per process", "need"]
    assert re.split(r"\s{2,}", lines[1].strip()) == [first.hostname, "1", "8", "9"]
    assert lines[2].split()[-4:] == ["host)", "2", "8", "17"] and "(this host)" in lines[2]
    assert lines[-1].startswith("total need: 26;")
    assert "max_connections=21" in lines[-1] and f"available={available}" in lines[-1]
    assert lines[-1].endswith("OVER BUDGET")

    # A second region of one worker fits (9 + 9 = 18 <= 18).
    third.start()
    table = third.run("maas-region", "db-budget").stdout.strip().splitlines()
    assert table[-1].startswith("total need: 18;") and table[-1].endswith("OK"), table
    hosts.wait_for("the first region's /MAAS/rpc/ to list both", lambda: set(
        hosts.rpc_hosts(first.rpc())) == {first.hostname, third.hostname}, 15)
