"""Benchmark: the rack channel — many racks on three regions.

Starts its own PostgreSQL and three `maas-regiond` hosts (2 workers each, own hostname, loopback
address and data directory) and runs `--racks` simulated racks (ironworks/lab/simrack.py: the
real channel and agent code) spread over `--rack-processes` child processes, each rack configured
with one region's URL (rack i: region i mod 3) and finding the others through /MAAS/rpc/.
Prints:

1. the idle cost of connected racks on the regions: CPU (utime+stime of every region process,
   master and workers, over an idle window) and memory (RSS, PSS, USS from smaps_rollup) with 0,
   a tenth of, and all the racks connected to all 3 regions; per rack and per rack-connection;
2. rack calls/s with every rack calling as fast as it can (`ping`, no database; then
   `report_services`, one transaction), with p50/p99 latency;
3. across a region `kill -9`, racks calling at a steady rate: failed calls, the time until every
   rack's `rackd` is `degraded` "66% connected to region controllers.", then after a restart the
   time until every rack's `rackd` is `running` again.

Goals: idle cost <= 0.2 % of a core and <= 300 KB of region memory per rack; 0 failed calls.
Everything it started (PostgreSQL, regions, rack processes: each by PID) is stopped and its temp
directories removed at the end, also on failure, Ctrl-C, SIGTERM or the overall time limit.

    .venv/bin/python bench/rack_channel.py [--racks 100] [--rack-processes 4] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import os
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ironworks.lab import hosts
from ironworks.lab.hosts import LabCluster, LabRegion, wait_for
from ironworks.lab.simrack import RackLoop, SimRack

ADDRESSES = ("127.0.0.51", "127.0.0.52", "127.0.0.53")
PREFIX = "bench-rack-"
SERVICES = {"services": {"tftp": ["off", ""]}}  # a small report_services payload
CPU_GOAL, MEMORY_GOAL_KB = 0.2, 300  # per idle rack: % of a core, KB of region memory
TIME_LIMIT_S = 1200
TICK = os.sysconf("SC_CLK_TCK")


class TimeLimit(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise TimeLimit(f"the benchmark took longer than {TIME_LIMIT_S} s")


# -- the rack processes ------------------------------------------------------------------------

async def _hammer(racks: list[SimRack], method: str, params: dict, duration: float) -> dict:
    """Every rack calls `method` back to back for `duration` seconds."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + duration
    latencies: list[float] = []
    errors: list[str] = []

    async def one(rack: SimRack) -> None:
        assert rack.channel is not None
        while loop.time() < end:
            t0 = loop.time()
            try:
                await rack.channel.call(method, params, 30)
                latencies.append(loop.time() - t0)
            except Exception as exc:  # noqa: BLE001 - every failure counts
                errors.append(repr(exc))

    await asyncio.gather(*(one(r) for r in racks))
    return {"latencies": latencies, "errors": errors, "elapsed": loop.time() - start}


async def _steady(racks: list[SimRack], period: float, stopping: list[bool]) -> dict:
    """Every rack calls once per `period` (report_services and ping in turn) until stopped."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors: list[str] = []

    async def one(index: int, rack: SimRack) -> None:
        assert rack.channel is not None
        due = loop.time() + period * index / len(racks)
        turn = index
        while not stopping[0]:
            await asyncio.sleep(max(due - loop.time(), 0))
            method, params = ("ping", {}) if turn % 2 else ("report_services", SERVICES)
            t0 = loop.time()
            try:
                await rack.channel.call(method, params, 30)
                latencies.append(loop.time() - t0)
            except Exception as exc:  # noqa: BLE001 - every failure counts
                errors.append(f"{method}: {exc!r}")
            due, turn = due + period, turn + 1

    await asyncio.gather(*(one(i, r) for i, r in enumerate(racks)))
    return {"latencies": latencies, "errors": errors}


def rack_process(conn: Connection, names: list[str], urls: list[str], secret: str) -> None:
    """A child process holding some of the racks; obeys (command, argument) from the parent
    until told to quit or the parent goes away (end of file on the pipe)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    logging.basicConfig(level=logging.ERROR, format=f"rack process {os.getpid()}: %(name)s: %(message)s")
    racks = [SimRack(name, [url], secret) for name, url in zip(names, urls)]
    loop = RackLoop()
    live: list[SimRack] = []
    steady: Any = None
    stopping = [False]
    try:
        while True:
            try:
                command, arg = conn.recv()
            except EOFError:
                return
            if command == "start":  # arg: how many of this process's racks run
                for rack in racks[len(live):arg]:
                    live.append(loop.start(rack))
                reply: Any = None
            elif command == "status":
                reply = [(r.connected_regions, repr(r.refusal) if r.refusal else None) for r in live]
            elif command == "hammer":
                reply = loop.run(_hammer(live, *arg), arg[2] + 60)
            elif command == "steady":
                stopping[0] = False
                steady = loop.submit(_steady(live, arg, stopping))
                reply = None
            elif command == "steady-stop":
                stopping[0] = True
                reply = steady.result(90)
            elif command == "quit":
                conn.send(None)
                return
            else:
                reply = ValueError(f"unknown command {command!r}")
            conn.send(reply)
    finally:
        loop.close()


class Fleet:
    """The rack processes, driven over one pipe each."""

    def __init__(self, racks: int, processes: int, regions: list[LabRegion], secret: str) -> None:
        ctx = mp.get_context("spawn")  # a fresh interpreter: nothing of the parent's state
        self.procs: list[Any] = []
        self.pipes: list[Connection] = []
        self.shares: list[list[int]] = [list(range(p, racks, processes)) for p in range(processes)]
        for share in self.shares:
            names = [f"{PREFIX}{i:03d}" for i in share]
            urls = [regions[i % len(regions)].url.rstrip("/") for i in share]
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=rack_process, args=(child, names, urls, secret), daemon=True)
            proc.start()
            child.close()
            self.procs.append(proc)
            self.pipes.append(parent)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def ask(self, command: str, args: list[Any], timeout: float = 180) -> list[Any]:
        for pipe, arg in zip(self.pipes, args):
            pipe.send((command, arg))
        replies = []
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise TimeoutError(f"a rack process did not answer {command!r} in {timeout:.0f} s")
            reply = pipe.recv()
            if isinstance(reply, Exception):
                raise reply
            replies.append(reply)
        return replies

    def all(self, command: str, arg: Any = None, timeout: float = 180) -> list[Any]:
        return self.ask(command, [arg] * len(self.pipes), timeout)

    def start(self, total: int) -> None:
        """Run the first `total` racks (cumulative)."""
        self.ask("start", [sum(1 for i in share if i < total) for share in self.shares])

    def connections(self) -> tuple[int, list[str]]:
        status = [s for reply in self.all("status") for s in reply]
        return sum(n for n, _ in status), [r for _, r in status if r]

    def close(self) -> None:
        for pipe in self.pipes:
            try:
                pipe.send(("quit", None))
            except OSError:
                pass
        deadline = time.monotonic() + 30
        for proc in self.procs:
            proc.join(max(deadline - time.monotonic(), 0.1))
            if proc.is_alive():
                proc.kill()  # by its PID
                proc.join(5)
        for pipe in self.pipes:
            pipe.close()


# -- measuring the regions -----------------------------------------------------------------

def region_pids(regions: list[LabRegion]) -> list[int]:
    pids: set[int] = set()
    for r in regions:
        if r.process is not None and r.process.poll() is None:
            pids |= set(hosts.session_members(r.process.pid)) | {r.process.pid}
    return sorted(pids)


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    out = {}
    for pid in pids:
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[pid] = int(fields[11]) + int(fields[12])  # utime + stime
    return out


def memory_kb(pids: list[int]) -> dict[str, int]:
    """Sum of RSS, PSS and USS (private clean + dirty) over `pids`, in KB."""
    total = {"rss": 0, "pss": 0, "uss": 0}
    for pid in pids:
        try:
            lines = open(f"/proc/{pid}/smaps_rollup").read().splitlines()
        except OSError:
            continue
        values = {line.split(":")[0]: int(line.split()[1]) for line in lines[1:] if line.endswith("kB")}
        total["rss"] += values.get("Rss", 0)
        total["pss"] += values.get("Pss", 0)
        total["uss"] += values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
    return total


@dataclass
class Idle:
    racks: int
    cpu: float  # % of one core, all region processes together
    rack_cpu: float  # % of one core, the rack processes together
    memory: dict[str, int]


def measure_idle(regions: list[LabRegion], fleet: Fleet, racks: int, window: float) -> Idle:
    pids = region_pids(regions)
    before, rack_before, t0 = cpu_ticks(pids), cpu_ticks(fleet.pids), time.monotonic()
    time.sleep(window)
    after, rack_after, elapsed = cpu_ticks(pids), cpu_ticks(fleet.pids), time.monotonic() - t0
    if set(after) != set(pids):
        raise hosts.LabError(f"region processes changed during the idle window: {pids} -> {sorted(after)}")

    def share(a: dict[int, int], b: dict[int, int]) -> float:
        return 100.0 * sum(a[p] - b.get(p, a[p]) for p in a) / TICK / elapsed

    return Idle(racks, share(after, before), share(rack_after, rack_before), memory_kb(pids))


def rackd_counts(region: LabRegion) -> dict[tuple[str, str], int]:
    rows = region.sql("SELECT s.status, s.status_info, count(*) FROM node n JOIN service s ON s.node_id = n.id "
                      "AND s.name = 'rackd' WHERE n.hostname LIKE %s GROUP BY 1, 2", (PREFIX + "%",))
    return {(status, info): n for status, info, n in rows}


def all_rackd(region: LabRegion, racks: int, status: tuple[str, str]) -> bool:
    return rackd_counts(region).get(status, 0) == racks


def settle(regions: list[LabRegion], fleet: Fleet, racks: int, settle_s: float) -> float:
    """Wait until `racks` racks hold a link to every region and show `running`; returns the time."""
    t0 = time.monotonic()

    def connected() -> bool:
        links, refusals = fleet.connections()
        if refusals:
            raise hosts.LabError(f"racks were refused: {refusals[:3]}")
        return links == racks * len(regions)

    wait_for(f"{racks} racks connected to {len(regions)} regions", connected, 120, 0.5)
    wait_for(f"{racks} racks' rackd running", lambda: all_rackd(regions[0], racks, ("running", "")), 60, 0.5)
    took = time.monotonic() - t0
    time.sleep(settle_s)  # registration and first reports over
    return took


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


# -- the three parts -------------------------------------------------------------------------

def idle_part(regions: list[LabRegion], fleet: Fleet, args: argparse.Namespace) -> list[Idle]:
    points = sorted({0, args.racks // 10, args.racks} if args.racks >= 20 else {0, args.racks})
    results = []
    for n in points:
        if n:
            fleet.start(n)
            took = settle(regions, fleet, n, args.settle)
            print(f"{n} racks connected to all {len(regions)} regions, rackd running, in {took:.1f} s", flush=True)
        idle = measure_idle(regions, fleet, n, args.window)
        results.append(idle)
        mem = idle.memory
        print(f"idle, {n:>3} racks: region CPU {idle.cpu:6.2f} % of a core (rack processes {idle.rack_cpu:5.2f} %); "
              f"region memory RSS {mem['rss'] / 1024:6.1f} MB, PSS {mem['pss'] / 1024:6.1f} MB, "
              f"USS {mem['uss'] / 1024:6.1f} MB", flush=True)
    return results


def per_rack(a: Idle, b: Idle) -> dict[str, float]:
    n = b.racks - a.racks
    return {"cpu": (b.cpu - a.cpu) / n, **{k: (b.memory[k] - a.memory[k]) / n for k in a.memory}}


def calls_part(fleet: Fleet, args: argparse.Namespace) -> dict[str, dict]:
    out = {}
    for method, params in (("ping", {}), ("report_services", SERVICES)):
        replies = fleet.all("hammer", (method, params, args.hammer), timeout=args.hammer + 120)
        latencies = [x for r in replies for x in r["latencies"]]
        errors = [x for r in replies for x in r["errors"]]
        rate = sum(len(r["latencies"]) / r["elapsed"] for r in replies)
        out[method] = {"rate": rate, "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99),
                       "calls": len(latencies), "failed": len(errors), "errors": errors[:3]}
        print(f"{method:>16}: {rate:7.0f} calls/s ({len(latencies)} calls by {args.racks} racks in "
              f"{args.hammer:.0f} s), p50 {out[method]['p50'] * 1000:.1f} ms, p99 {out[method]['p99'] * 1000:.1f} ms"
              f", failed {len(errors)}", flush=True)
        for e in errors[:3]:
            print(f"   failed: {e}")
    return out


def kill_part(regions: list[LabRegion], fleet: Fleet, args: argparse.Namespace) -> dict:
    victim, survivor = regions[0], regions[1]
    expected = len(regions)
    degraded = ("degraded", f"{int(100 * (expected - 1) / expected)}% connected to region controllers.")
    fleet.all("steady", args.period)
    try:
        time.sleep(args.settle / 2)
        killed_at = time.monotonic()
        victim.kill9()
        wait_for(f"every rack's rackd {degraded}", lambda: all_rackd(survivor, args.racks, degraded), 90, 0.2)
        degraded_s = time.monotonic() - killed_at
        print(f"kill -9 of {victim.hostname}: every rack's rackd {degraded[0]} \"{degraded[1]}\" after "
              f"{degraded_s:.1f} s", flush=True)
        time.sleep(args.settle / 2)
        restarted_at = time.monotonic()
        victim.start(120)
        serving_s = time.monotonic() - restarted_at
        wait_for("every rack's rackd running again", lambda: all_rackd(survivor, args.racks, ("running", "")),
                 120, 0.2)
        running_s = time.monotonic() - restarted_at
        print(f"{victim.hostname} restarted: serving after {serving_s:.1f} s, every rack's rackd running "
              f"{running_s:.1f} s after the restart began", flush=True)
        time.sleep(args.settle / 2)
    finally:
        replies = fleet.all("steady-stop", timeout=120)
    latencies = [x for r in replies for x in r["latencies"]]
    errors = [x for r in replies for x in r["errors"]]
    print(f"steady calls ({args.racks} racks, one call per {args.period:.1f} s each): {len(latencies)} ok, "
          f"{len(errors)} failed; p50 {pct(latencies, 0.5) * 1000:.1f} ms, p99 {pct(latencies, 0.99) * 1000:.1f} ms,"
          f" slowest {max(latencies, default=0):.2f} s", flush=True)
    for e in errors[:5]:
        print(f"   failed: {e}")
    return {"victim": victim.hostname, "degraded_s": degraded_s, "running_s": running_s, "serving_s": serving_s,
            "calls": len(latencies), "failed": len(errors), "slowest": max(latencies, default=0.0),
            "p99": pct(latencies, 0.99)}


def verdict(ok: bool, judged: bool = True) -> str:
    return ("met" if ok else "MISSED") if judged else "not judged on a --quick run"


def summary(idle: list[Idle], calls: dict, kill: dict, racks: int, quick: bool) -> bool:
    """Prints the summary; True when the goals are met (the idle ones are not judged on a
    --quick run: with a dozen racks the one-time costs, e.g. the first connection's imports and
    buffers, weigh on each rack)."""
    first, last = idle[0], idle[-1]
    each = per_rack(first, last)
    connections = racks * len(ADDRESSES)
    cpu_ok, mem_ok = quick or each["cpu"] <= CPU_GOAL, quick or each["pss"] <= MEMORY_GOAL_KB
    print("\n== summary " + "=" * 70)
    print(f"idle cost per rack (0 -> {racks} racks, each linked to {len(ADDRESSES)} regions):")
    print(f"  region CPU  {each['cpu']:.4f} % of a core per rack, {each['cpu'] * racks / connections:.4f} % per "
          f"rack-connection   (goal <= {CPU_GOAL} %: {verdict(cpu_ok, not quick)})")
    print(f"  region PSS  {each['pss']:.0f} KB per rack, {each['pss'] * racks / connections:.0f} KB per "
          f"rack-connection   (goal <= {MEMORY_GOAL_KB} KB: {verdict(mem_ok, not quick)})")
    print(f"  region RSS  {each['rss']:.0f} KB, USS {each['uss']:.0f} KB per rack")
    if len(idle) == 3:
        slope = per_rack(idle[1], last)
        print(f"  marginal ({idle[1].racks} -> {racks} racks): CPU {slope['cpu']:.4f} % of a core, "
              f"PSS {slope['pss']:.0f} KB, USS {slope['uss']:.0f} KB per rack")
    print(f"  rack processes, idle: {last.rack_cpu / racks:.4f} % of a core per rack")
    for method, c in calls.items():
        print(f"calls/s, {method}: {c['rate']:.0f} (p50 {c['p50'] * 1000:.1f} ms, p99 {c['p99'] * 1000:.1f} ms, "
              f"failed {c['failed']})")
    if "report_services" in calls and calls["ping"]["rate"]:
        print(f"  report_services / ping rate: {calls['report_services']['rate'] / calls['ping']['rate']:.2f}")
    print(f"region kill -9 ({kill['victim']}): {kill['failed']} of {kill['calls'] + kill['failed']} calls failed "
          f"(goal 0: {verdict(kill['failed'] == 0)}); slowest call {kill['slowest']:.2f} s; "
          f"all degraded after {kill['degraded_s']:.1f} s; all running {kill['running_s']:.1f} s after restart "
          f"(region serving after {kill['serving_s']:.1f} s)")
    return cpu_ok and mem_ok and kill["failed"] == 0


def run(args: argparse.Namespace) -> int:
    cluster = regions = fleet = None
    try:
        cluster = LabCluster()
        regions = hosts.make_regions(cluster, 3, workers=args.workers, addresses=ADDRESSES, prefix="rbench")
        regions[0].start(120)  # migrates the database; the others then start side by side
        for r in regions[1:]:
            r.launch()
        for r in regions[1:]:
            r.wait_ready(120)
        secret = regions[0].sql("SELECT value #>> '{}' FROM config WHERE name = 'rpc_shared_secret'")[0][0]
        fleet = Fleet(args.racks, args.rack_processes, regions, secret)
        print(f"{os.cpu_count()} CPU(s); 3 regions of {args.workers} workers on {', '.join(ADDRESSES)} port "
              f"{regions[0].port}; {args.racks} racks in {args.rack_processes} processes; idle windows "
              f"{args.window:.0f} s", flush=True)
        fleet.connections()  # the rack processes are up (their imports done)
        time.sleep(args.settle)  # the regions' start-up work done
        idle = idle_part(regions, fleet, args)
        calls = calls_part(fleet, args)
        kill = kill_part(regions, fleet, args)
        met = summary(idle, calls, kill, args.racks, args.quick)
        return 0 if met else 1
    finally:
        if fleet is not None:
            fleet.close()
        if regions:
            hosts.cleanup_regions(regions)
        if cluster is not None:
            cluster.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--racks", type=int, default=100)
    parser.add_argument("--rack-processes", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="num_workers of each region")
    parser.add_argument("--window", type=float, default=30.0, help="seconds of each idle measurement")
    parser.add_argument("--hammer", type=float, default=10.0, help="seconds of each calls/s measurement")
    parser.add_argument("--period", type=float, default=1.0, help="seconds between one rack's steady calls")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait before an idle window")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 12 racks, short windows")
    args = parser.parse_args()
    if args.quick:
        args.racks, args.rack_processes, args.window, args.hammer, args.settle = 12, 2, 5.0, 3.0, 1.0
    if args.racks < 1 or args.rack_processes < 1:
        parser.error("--racks and --rack-processes must be positive")
    args.rack_processes = min(args.rack_processes, args.racks)
    hosts.require_unshare()
    # SIGTERM (e.g. from a CI timeout) and the time limit unwind like Ctrl-C, so the clean-up runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT_S)
    started = time.monotonic()
    try:
        code = run(args)
    except KeyboardInterrupt:
        print("interrupted; everything it started is stopped and removed", file=sys.stderr)
        sys.exit(130)
    signal.alarm(0)
    print(f"(took {time.monotonic() - started:.0f} s)")
    sys.exit(code)


if __name__ == "__main__":
    main()
