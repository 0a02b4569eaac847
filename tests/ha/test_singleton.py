"""Cluster singletons and the change feed, against a real PostgreSQL and real regions.

- The liveness singleton is a session advisory lock on a dedicated connection.  Terminating that
  session (`pg_terminate_backend`) stops the holder (its work runs on that very session) and
  another region takes over within the bound; sampled every 50 ms, never two holders.
- The change feed is a LISTEN session: notifications sent while it is down are lost, so on
  reconnect it reconciles, and `/MAAS/rpc/` still learns about a region that started meanwhile.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from typing import Iterator

import pytest

from ironworks.lab import hosts
from ironworks.lab.harness import Cluster
from ironworks.lab.hosts import LabRegion
from ironworks.region.cluster.liveness import DEAD_AFTER_S, LIVENESS_INTERVAL_S
from ironworks.region.runtime import LIVENESS_LOCK

pytestmark = pytest.mark.slow

# Takeover: the other region competes every LIVENESS_INTERVAL_S (the loser of the session stands
# back 3 intervals), so ~2 s; the bound leaves room for a loaded CI machine.
TAKEOVER_BOUND_S = 10.0
# A frozen holder keeps its session until the server ends it (idle for 4 × interval = 8 s); then
# the other region competes (every 2 s) and reaps the frozen region's processes at once.  Goal: a
# dead region is shown dead within 15 s.
FROZEN_BOUND_S = 15.0

_HOLDERS = f"""
    SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = {LIVENESS_LOCK >> 32} AND l.objid = {LIVENESS_LOCK & 0xFFFFFFFF}
      AND l.objsubid = 1
"""
_APP = re.compile(r"^maas-regiond:singleton:liveness:(?P<system_id>[^:]+):(?P<pid>\d+)$")


@pytest.fixture(scope="module")
def regions(cluster: Cluster) -> Iterator[list[LabRegion]]:
    """Three region hosts on one database (one worker each, so "another process" is "another
    region"); the first two are started, the third is left for the feed test to start."""
    hosts.require_unshare()
    rs = hosts.make_regions(cluster, 3, workers=1, addresses=("127.0.0.14", "127.0.0.15", "127.0.0.16"),
                          prefix="single")
    try:
        hosts.start_regions(rs[:2])
        yield rs
    finally:
        hosts.cleanup_regions(rs)


def holders(region: LabRegion) -> list[tuple[int, str]]:
    return [(pid, app) for pid, app in region.sql(_HOLDERS)]


def holder_region(regions: list[LabRegion], app: str) -> LabRegion:
    m = _APP.match(app)
    assert m, f"the lock's session is not a liveness singleton session: {app!r}"
    return next(r for r in regions if r.system_id == m["system_id"])


class Sampler(threading.Thread):
    """Counts liveness-lock holders every 50 ms until stopped."""

    def __init__(self, region: LabRegion) -> None:
        super().__init__(daemon=True)
        self.region = region
        self.samples: list[tuple[float, list[tuple[int, str]]]] = []
        self.errors: list[Exception] = []
        self.halt = threading.Event()

    def run(self) -> None:
        with hosts.connect(self.region.cluster, self.region.dbname, autocommit=True) as conn:
            while not self.halt.is_set():
                try:
                    rows = conn.execute(_HOLDERS).fetchall()
                    self.samples.append((time.monotonic(), [(p, a) for p, a in rows]))
                except Exception as exc:  # noqa: BLE001
                    self.errors.append(exc)
                self.halt.wait(0.05)


def test_terminated_singleton_session_stops_holder_and_another_region_takes_over(
        regions: list[LabRegion]) -> None:
    live = regions[:2]
    first = hosts.wait_for("one liveness singleton holder", lambda: (h := holders(live[0])) and len(h) == 1 and h,
                         15)
    backend_pid, app = first[0]
    old = holder_region(live, app)
    other = next(r for r in live if r is not old)
    log_offset = len(old.log_text())

    sampler = Sampler(live[0])
    sampler.start()
    try:
        time.sleep(0.3)
        [(terminated,)] = old.sql("SELECT pg_terminate_backend(%s)", (backend_pid,))
        assert terminated
        t0 = time.monotonic()

        def taken_over() -> tuple[int, str] | None:
            h = holders(other)
            return h[0] if h and h[0][1] != app else None

        new_pid, new_app = hosts.wait_for("another region to hold the liveness singleton", taken_over,
                                        TAKEOVER_BOUND_S, interval=0.05)
        takeover_s = time.monotonic() - t0
        # The holder notices at its next pass, on the dead session, and stops.
        hosts.wait_for(f"{old.hostname} to log that it stopped", lambda: re.search(
            r"singleton liveness: lost its database session .*; stopped", old.log_text()[log_offset:]),
            3 * LIVENESS_INTERVAL_S + 5)
        time.sleep(3 * LIVENESS_INTERVAL_S + 1)  # past the old holder's stand-back: it competes again
    finally:
        sampler.halt.set()
        sampler.join(10)

    assert holder_region(live, new_app) is other, "another region took over"
    assert takeover_s <= TAKEOVER_BOUND_S
    assert not sampler.errors, sampler.errors[:3]
    assert len(sampler.samples) > 50
    counts = [len(h) for _, h in sampler.samples]
    assert max(counts) == 1, "two holders at once"
    # The old session held it before the termination; afterwards only the new one, for good.
    apps_seen = [h[0][1] for _, h in sampler.samples if h]
    assert apps_seen[0] == app and apps_seen[-1] == new_app
    switches = sum(1 for a, b in zip(apps_seen, apps_seen[1:]) if a != b)
    assert switches == 1, f"the lock changed hands {switches} times"
    print(f"\nliveness singleton: {old.hostname} -> {other.hostname} in {takeover_s:.2f} s")
    # The liveness work goes on under the new holder: both regions stay `running`.
    statuses = hosts.regiond_statuses(other)
    assert {r.hostname: statuses[r.hostname][0] for r in live} == {r.hostname: "running" for r in live}


def _signal_region(region: LabRegion, sig: int, pids: list[int] | None = None) -> list[int]:
    pids = pids if pids is not None else hosts.session_members(region.process.pid)
    for pid in pids:
        os.kill(pid, sig)
    return pids


def test_a_frozen_holder_loses_the_singleton_and_is_marked_dead(regions: list[LabRegion]) -> None:
    """A holder that stops running without its connection closing (SIGSTOP: a hung process, a
    paused VM, a host gone without a FIN) must not keep the lock: the server ends its idle
    session after the singleton's hang timeout, another region takes over and marks the frozen
    region dead; thawed, the old holder finds its session gone, stops, and its region re-registers."""
    live = regions[:2]
    [(backend_pid, app)] = hosts.wait_for("one liveness singleton holder",
                                        lambda: (h := holders(live[0])) and len(h) == 1 and h, 15)
    frozen = holder_region(live, app)
    other = next(r for r in live if r is not frozen)
    log_offset = len(frozen.log_text())
    sampler = Sampler(other)
    sampler.start()
    pids: list[int] = []
    try:
        pids = _signal_region(frozen, signal.SIGSTOP)
        t0 = time.monotonic()
        hosts.wait_for(f"{other.hostname} to take the singleton from the frozen {frozen.hostname}", lambda: (
            (h := holders(other)) and holder_region(live, h[0][1]) is other), FROZEN_BOUND_S, interval=0.1)
        takeover_s = time.monotonic() - t0
        hosts.wait_for(f"the frozen {frozen.hostname} to be marked dead", lambda: hosts.regiond_statuses(
            other)[frozen.hostname][0] == "dead", FROZEN_BOUND_S - (time.monotonic() - t0), interval=0.2)
        dead_s = time.monotonic() - t0
    finally:
        _signal_region(frozen, signal.SIGCONT, pids)
    try:
        hosts.wait_for(f"{frozen.hostname} to log that it stopped", lambda: re.search(
            r"singleton liveness: lost its database session .*; stopped", frozen.log_text()[log_offset:]), 10)
        hosts.wait_for(f"{frozen.hostname} to be running again", lambda: hosts.regiond_statuses(
            other)[frozen.hostname][0] == "running", 15, interval=0.2)
        assert "registering again" in frozen.log_text()[log_offset:]
    finally:
        sampler.halt.set()
        sampler.join(10)
    assert not sampler.errors, sampler.errors[:3]
    assert max(len(h) for _, h in sampler.samples) == 1, "two holders at once"
    print(f"\nfrozen holder: lock taken over after {takeover_s:.1f} s, region dead after {dead_s:.1f} s")


def test_a_dead_worker_of_the_holding_region_is_reaped(cluster: Cluster) -> None:
    """The holder never reaps itself, but its own region's other processes are reaped like
    anyone's: a worker killed while its region holds the singleton leaves no row behind (uvicorn
    starts a replacement, which registers; the dead one must not linger as a "live" process)."""
    [lone] = hosts.make_regions(cluster, 1, workers=2, addresses=("127.0.0.24",), prefix="lone")
    try:
        hosts.start_regions([lone])
        [(_, app)] = hosts.wait_for("the lone region to hold the singleton",
                                  lambda: (h := holders(lone)) and len(h) == 1 and h, 15)
        holder_pid = int(_APP.match(app)["pid"])
        [(worker,)] = lone.sql("SELECT pid FROM region_process WHERE pid <> %s", (holder_pid,))
        os.kill(worker, signal.SIGKILL)
        killed = time.monotonic()
        hosts.wait_for("the killed worker's row to be reaped", lambda: (worker,) not in lone.sql(
            "SELECT pid FROM region_process"), DEAD_AFTER_S + 3 * LIVENESS_INTERVAL_S + 5, interval=0.2)
        reaped_s = time.monotonic() - killed
        rows = hosts.wait_for("the replacement worker to register", lambda: (
            r := lone.sql("SELECT pid FROM region_process ORDER BY pid")) and len(r) == 2 and r, 30)
        assert (holder_pid,) in rows and (worker,) not in rows
        assert hosts.regiond_statuses(lone)[lone.hostname] == ("running", "")
        assert re.search(rf"reaped silent region process \(node \d+ pid {worker}\)", lone.log_text())
        print(f"\nthe holder's region reaped its own dead worker after {reaped_s:.1f} s")
    finally:
        hosts.cleanup_regions([lone])


def test_change_feed_reconciles_after_reconnect(regions: list[LabRegion]) -> None:
    """Freeze a region process (SIGSTOP), terminate its feed session, start a new region (its
    registration NOTIFY reaches nobody in that process: its session is gone), thaw: the feed
    reconnects and its reconcile shows the new region in /MAAS/rpc/."""
    watcher, _, newcomer = regions
    assert watcher.process is not None and newcomer.process is None
    feed = watcher.sql("SELECT pid FROM pg_stat_activity WHERE application_name LIKE %s",
                       (f"maas-regiond:feed:{watcher.system_id}:%",))
    assert len(feed) == watcher.workers, feed
    assert newcomer.hostname not in hosts.rpc_hosts(watcher.rpc())
    log_offset = len(watcher.log_text())

    pids = hosts.session_members(watcher.process.pid)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        for (backend,) in feed:
            watcher.sql("SELECT pg_terminate_backend(%s)", (backend,))
        newcomer.start(120)
        newcomer.apikey = watcher.apikey
        assert newcomer.hostname in hosts.rpc_hosts(newcomer.rpc()), "the newcomer registered"
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    thawed = time.monotonic()

    hosts.wait_for(f"{watcher.hostname}'s /MAAS/rpc/ to list {newcomer.hostname}",
                 lambda: newcomer.hostname in hosts.rpc_hosts(watcher.rpc()), 15, interval=0.2)
    seen_after = time.monotonic() - thawed
    assert "change feed lost its connection" in watcher.log_text()[log_offset:]
    # The feed's session is back (a loaded machine may still be finishing the reconnect).
    hosts.wait_for("the feed session to be back", lambda: watcher.sql(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s",
        (f"maas-regiond:feed:{watcher.system_id}:%",)) == [(watcher.workers,)], 10, interval=0.2)
    print(f"\nfeed reconnected and reconciled {seen_after:.2f} s after the process resumed")
