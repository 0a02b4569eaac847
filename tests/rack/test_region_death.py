"""A region's death, as the racks live it: `kill -9` of the region a rack registered through.
The rack keeps working through the other region, `rackd` shows degraded with the real
percentage, then running once the region is back.  A rack whose only configured URL is dead
starts from its cache of region addresses."""

from __future__ import annotations

import threading
import time
from typing import Iterator

import pytest

from ironworks.lab import hosts
from ironworks.lab.hosts import wait_for
from ironworks.lab.simrack import RackLoop, SimRack, cluster_secret, rackd_of

ADDRESSES = ("127.0.0.43", "127.0.0.44")


@pytest.fixture(scope="module")
def regions(cluster) -> Iterator[list[hosts.LabRegion]]:  # noqa: ANN001
    rs = hosts.make_regions(cluster, 2, workers=2, addresses=ADDRESSES, prefix="death")
    try:
        hosts.start_regions(rs)
        yield rs
    finally:
        hosts.cleanup_regions(rs)


class Caller:
    """Rack calls in a loop while something happens; counts failures."""

    def __init__(self, loop: RackLoop, rack: SimRack) -> None:
        self.loop, self.rack = loop, rack
        self.ok = self.failed = 0
        self.errors: list[str] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.is_set():
            try:
                self.loop.call(self.rack, "report_services", {"services": {"tftp": ["off", ""]}}, timeout=20)
                self.ok += 1
            except Exception as exc:  # noqa: BLE001 - every failure counts
                self.failed += 1
                self.errors.append(repr(exc))
            time.sleep(0.05)

    def __enter__(self) -> "Caller":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(30)


def test_kill_9_of_the_registering_region_degrades_then_recovers_with_no_failed_call(regions) -> None:  # noqa: ANN001
    a, b = regions
    with RackLoop() as loop:
        rack = loop.start(SimRack("death-rack", [a.url.rstrip("/")], cluster_secret(a)))
        wait_for("connections to both regions", lambda: rack.connected_regions == 2, 30)
        wait_for("rackd running", lambda: rackd_of(b, "death-rack") == ("running", ""), 15)
        with Caller(loop, rack) as calls:
            a.kill9()
            wait_for("rackd degraded", lambda: rackd_of(b, "death-rack") == (
                "degraded", "50% connected to region controllers."), 30)
            assert rack.connected_regions == 1
            a.start()
            wait_for("rackd running again", lambda: rackd_of(b, "death-rack") == ("running", ""), 60)
            wait_for("both connections back", lambda: rack.connected_regions == 2, 30)
        assert calls.failed == 0, calls.errors[:3]
        assert calls.ok > 10


def test_a_rack_whose_configured_url_is_dead_starts_from_its_cache(regions) -> None:  # noqa: ANN001
    a, b = regions
    with RackLoop() as loop:
        first = loop.start(SimRack("cache-rack", [a.url.rstrip("/")], cluster_secret(a)))
        wait_for("both regions known", lambda: first.connected_regions == 2, 30)
        cache, system_id, cluster = first.state.cached_endpoints(), first.system_id, first.state.cluster_uuid()
        loop.stop(first)
        assert {port for _, port in cache} == {a.port} and {addr for addr, _ in cache} >= {a.address, b.address}
        a.kill9()
        try:
            again = SimRack("cache-rack", [a.url.rstrip("/")], cluster_secret(b))
            again.state.cache = cache
            again.state.set_system_id(system_id)
            again.state.set_cluster_uuid(cluster)
            loop.start(again)
            wait_for("a connection to the live region from the cache", lambda: again.connected_regions >= 1, 30)
            wait_for("rackd degraded", lambda: rackd_of(b, "cache-rack") == (
                "degraded", "50% connected to region controllers."), 30)
        finally:
            a.start()
