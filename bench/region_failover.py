"""Benchmark: region HA through a real HAProxy (the configuration `maas-region ha haproxy-config`
generates from the live region list).

Starts its own PostgreSQL, up to three `maas-regiond` hosts (own hostname, loopback address and
data directory each, 2 workers by default) and HAProxy on 127.0.0.30, then prints:

1. requests/s through HAProxy with 1, 2 and 3 regions (and the scaling ratio), under signed GETs
   from several client processes on several 127.0.1.x source addresses (`balance source`
   hashes by source address, so one address would only ever reach one region);
2. across a `kill -9` of the busiest region (master and workers): failed requests, the longest
   any client waited for an answer, HAProxy's re-sends, and the time until the survivors show
   the region `dead`; then the time until it is `running` again after a restart;
3. the write gap across a PostgreSQL promotion (`measure_promotion_write_gap()`, from
   ironworks/lab/pgfailover.py).

Goals: 0 failed requests, stall <= 2 s, dead <= 15 s, writes back <= 2 s after promotion.
Everything it started is stopped (by PID) and removed at the end, also on failure, Ctrl-C or the
overall time limit.  Traffic goes only to loopback.

    .venv/bin/python bench/region_failover.py [--duration 8] [--workers 2] [--no-promotion]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from ironworks.lab import frontdoor, hosts, loadgen, pgfailover
from ironworks.lab.frontdoor import HAProxy
from ironworks.lab.hosts import LabCluster, LabRegion
from ironworks.lab.loadgen import ProcessLoad

ADDRESSES = ("127.0.0.31", "127.0.0.32", "127.0.0.33")
HAPROXY_ADDRESS = "127.0.0.30"
SOURCES = tuple(f"127.0.1.{i}" for i in range(101, 125))  # 24 client addresses
TIME_LIMIT_S = 900


class TimeLimit(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise TimeLimit(f"the benchmark took longer than {TIME_LIMIT_S} s")


def start_haproxy(regions: list[LabRegion], work: Path, port: int, old: HAProxy | None) -> HAProxy:
    """(Re)start HAProxy on the configuration generated from the live regions."""
    if old:
        old.stop()
    live = [r for r in regions if r.process and r.process.poll() is None]
    config = frontdoor.generated_haproxy_config(live[0], bind=HAPROXY_ADDRESS, port=port,
                                          pidfile=work / "haproxy.pid", stats_socket=work / "stats.sock")
    hap = HAProxy(config, work, bind=HAPROXY_ADDRESS, port=port, stats_socket=work / "stats.sock")
    hap.start()
    hap.wait_all_up(len(live), timeout=30)
    return hap


def selected(hap: HAProxy) -> dict[str, int]:
    return {n: int(r["lbtot"] or 0) for n, r in hap.counters().items() if n not in ("FRONTEND", "BACKEND")}


def region_behind(hap: HAProxy, regions: list[LabRegion], server: str) -> LabRegion:
    addr = hap.counters()[server]["addr"]
    return next(r for r in regions if addr == f"{r.address}:{r.port}")


def throughput(hap: HAProxy, apikey: str, args: argparse.Namespace) -> tuple[float, int, dict[str, int]]:
    load = ProcessLoad(f"http://{HAPROXY_ADDRESS}:{hap.port}", apikey, sources=SOURCES,
                       processes=args.client_processes, per_source=args.per_source,
                       duration=args.duration + 1.0)
    before = selected(hap)
    t0 = time.monotonic()
    try:
        samples = load.start().collect()
    finally:
        load.stop()
    after = selected(hap)
    first = min(s.start for s in samples) if samples else t0
    since, until = first + 1.0, first + 1.0 + args.duration  # skip the first second (warm-up)
    return (loadgen.rate(samples, since, until), len(loadgen.failures(samples)),
            {k: after[k] - before.get(k, 0) for k in after})


def kill_under_load(regions: list[LabRegion], hap: HAProxy, apikey: str, args: argparse.Namespace) -> dict:
    load = ProcessLoad(f"http://{HAPROXY_ADDRESS}:{hap.port}", apikey, sources=SOURCES,
                       processes=args.client_processes, per_source=args.per_source, duration=30.0)
    re_sent_before = sum(int(hap.counters()["BACKEND"][c] or 0) for c in ("wretr", "wredis"))
    try:
        load.start()
        time.sleep(3)
        before = selected(hap)
        time.sleep(2)
        traffic = {k: v - before.get(k, 0) for k, v in selected(hap).items()}
        victim = region_behind(hap, regions, max(traffic, key=traffic.get))
        survivor = next(r for r in regions if r is not victim)
        killed_at = time.monotonic()
        victim.kill9()
        dead_s = None
        while time.monotonic() - killed_at < 60:
            if hosts.regiond_statuses(survivor).get(victim.hostname, ("",))[0] == "dead":
                dead_s = time.monotonic() - killed_at
                break
            time.sleep(0.1)
        samples = load.collect()
    finally:
        load.stop()
    re_sent = sum(int(hap.counters()["BACKEND"][c] or 0) for c in ("wretr", "wredis")) - re_sent_before
    window = (killed_at - 1.0, max(s.end for s in samples))
    started = time.monotonic()
    victim.start(120)
    back = None
    while time.monotonic() - started < 90:
        if hosts.regiond_statuses(survivor).get(victim.hostname, ("",))[0] == "running":
            back = time.monotonic() - started
            break
        time.sleep(0.2)
    latencies = sorted(s.end - s.start for s in samples if s.ok)
    return {
        "victim": victim.hostname,
        "victim_share": traffic[max(traffic, key=traffic.get)] / max(sum(traffic.values()), 1),
        "requests": len(samples),
        "failed": len(loadgen.failures(samples)),
        "failures": loadgen.failures(samples)[:5],
        "stall_s": loadgen.longest_stall(samples, *window),
        "p99_s": latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        "re_sent": re_sent,
        "dead_s": dead_s,
        "running_again_s": back,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured per region count")
    parser.add_argument("--workers", type=int, default=2, help="num_workers of each region")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--per-source", type=int, default=1, help="client threads per source address")
    parser.add_argument("--no-promotion", action="store_true", help="skip the PostgreSQL promotion part")
    args = parser.parse_args()

    frontdoor.require_haproxy()
    hosts.require_unshare()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT_S)
    cluster = regions = hap = None
    work = hosts.lab_tempdir("iw-bench-haproxy-")
    try:
        cluster = LabCluster()
        regions = hosts.make_regions(cluster, 3, workers=args.workers, addresses=ADDRESSES, prefix="bench")
        port = hosts.free_port_on(HAPROXY_ADDRESS)
        print(f"{os.cpu_count()} CPU(s); regions of {args.workers} workers on {', '.join(ADDRESSES)}; "
              f"HAProxy on {HAPROXY_ADDRESS}:{port}; clients: {args.client_processes} processes, "
              f"{len(SOURCES)} source addresses × {args.per_source} thread(s); signed GETs "
              f"({', '.join(loadgen.LOAD_PATHS)})", flush=True)

        rates = {}
        apikey = ""
        for n in (1, 2, 3):
            regions[n - 1].start(120)
            if n == 1:
                apikey = regions[0].create_user("admin", admin=True).apikey or ""
                for r in regions:
                    r.apikey = apikey
            hap = start_haproxy(regions, work, port, hap)
            rps, failed, spread = throughput(hap, apikey, args)
            rates[n] = rps
            print(f"{n} region(s): {rps:7.1f} requests/s  (failed {failed}; requests per backend "
                  f"{sorted(spread.values(), reverse=True)})", flush=True)
        print(f"scaling: 2 regions {rates[2] / rates[1]:.2f}×, 3 regions {rates[3] / rates[1]:.2f}× "
              f"the rate of 1 (all on {os.cpu_count()} CPU(s) shared with PostgreSQL, HAProxy and the clients)",
              flush=True)

        k = kill_under_load(regions, hap, apikey, args)
        print(f"kill -9 of {k['victim']} ({k['victim_share']:.0%} of the traffic) under load: "
              f"{k['requests']} requests, {k['failed']} failed; longest client stall {k['stall_s']:.2f} s "
              f"(p99 latency {k['p99_s']:.3f} s); HAProxy re-sent {k['re_sent']}", flush=True)
        for f in k["failures"]:
            print(f"   failed: {f}")
        print(f"marked dead after {k['dead_s']:.1f} s" if k["dead_s"] is not None else "NOT marked dead in 60 s")
        print(f"running again {k['running_again_s']:.1f} s after its restart began"
              if k["running_again_s"] is not None else "NOT running again in 90 s", flush=True)
        goals = [("0 failed requests", k["failed"] == 0), ("stall <= 2 s", k["stall_s"] <= 2.0),
                 ("dead <= 15 s", k["dead_s"] is not None and k["dead_s"] <= 15.0)]
    finally:
        if hap:
            hap.stop()
        if regions:
            hosts.cleanup_regions(regions)
        if cluster:
            cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)

    if not args.no_promotion:
        gap = pgfailover.measure_promotion_write_gap()
        print("PostgreSQL promotion: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                               for k, v in gap.items()))
        if "write_gap_s" in gap:
            goals.append(("writes back <= 2 s after promotion", gap.get("promotion_to_first_write_s",
                                                                       gap["write_gap_s"]) <= 2.0))
    signal.alarm(0)
    print("goals: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in goals))
    return 0 if all(ok for _, ok in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
