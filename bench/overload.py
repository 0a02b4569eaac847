"""Benchmark: one region under a flood of concurrent `GET machines/`.

Starts its own PostgreSQL and one region (2 workers), bulk-inserts machines, then sends bursts
of 100, 500, 1,000 and 3,000 concurrent requests (one connection each, from one asyncio
process), while a separate light client asks `users/?op=whoami` every 100 ms and a sampler
reads `/MAAS/rpc/` every 250 ms.  Prints, per burst, the share of 200 / 503 / other answers
and connection errors; the light client's p50/p99; and the fewest live event loops /MAAS/rpc/
listed at any sample.

Goals: 0 × 500 (no "other"), 0 live workers reaped (the rpc listing never drops below the
worker count), the light client's p99 under 1 s.  Everything it started is stopped and removed
at the end, also on failure or Ctrl-C.  Traffic goes only to loopback.

    .venv/bin/python bench/overload.py [--bursts 100,500,1000,3000] [--machines 50]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import signal
import statistics
import sys
import threading
import time

import httpx

from ironworks.lab.harness import API, Cluster, start_region
from ironworks.lab.nodes import insert_nodes
from ironworks.region.api.auth import plaintext_header

WORKERS = 2
TIME_LIMIT_S = 900


async def one_request(port: int, apikey: str, timeout: float) -> str:
    """One signed GET machines/ on its own connection: '200', '503', another status, or 'error'."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        head = (f"GET {API}machines/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Authorization: {plaintext_header(apikey)}\r\nConnection: close\r\n\r\n")
        writer.write(head.encode())
        status_line = await asyncio.wait_for(reader.readline(), timeout)
        await asyncio.wait_for(reader.read(), timeout)  # the body, until the region closes
        writer.close()
        parts = status_line.split()
        return parts[1].decode() if len(parts) > 1 else "error"
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        return "error"


async def burst(port: int, apikey: str, count: int) -> tuple[collections.Counter, float]:
    started = time.monotonic()
    results = await asyncio.gather(*(one_request(port, apikey, 120) for _ in range(count)))
    return collections.Counter(results), time.monotonic() - started


class Sampler(threading.Thread):
    """Calls `probe` every `interval` seconds until stopped; keeps (seconds, result) pairs."""

    def __init__(self, probe, interval: float) -> None:  # noqa: ANN001
        super().__init__(daemon=True)
        self.probe, self.interval = probe, interval
        self.results: list = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            started = time.monotonic()
            try:
                result = self.probe()
            except httpx.HTTPError as exc:
                result = type(exc).__name__
            self.results.append((time.monotonic() - started, result))
            self.stopped.wait(max(0.0, self.interval - (time.monotonic() - started)))


def run(sizes: list[int], machines: int) -> int:
    cluster = region = None
    try:
        cluster = Cluster()
        region = start_region(cluster, num_workers=WORKERS)
        insert_nodes(region, 1, machines, prefix="load")
        light, rpc = region.client(), httpx.Client(timeout=10)
        whoami = Sampler(lambda: light.get("users/", op="whoami").status_code, 0.1)
        loops = Sampler(lambda: len(rpc.get(region.url + "rpc/").json()["eventloops"]), 0.25)
        whoami.start()
        loops.start()
        print(f"one region, {WORKERS} workers, {machines} machines")
        print(f"{'burst':>6} {'200':>6} {'503':>6} {'other':>6} {'error':>6} {'seconds':>8}")
        others = 0
        for size in sizes:
            counts, took = asyncio.run(burst(region.port, region.apikey, size))
            other = sum(n for k, n in counts.items() if k not in ("200", "503", "error"))
            others += other
            print(f"{size:>6} {counts['200']:>6} {counts['503']:>6} {other:>6} {counts['error']:>6} {took:>8.2f}"
                  + (f"   other: {dict((k, n) for k, n in counts.items() if k not in ('200', '503', 'error'))}"
                     if other else ""))
        whoami.stopped.set()
        loops.stopped.set()
        whoami.join()
        loops.join()
        latencies = sorted(t for t, _ in whoami.results)
        light_failed = sum(1 for _, status in whoami.results if status != 200)
        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
        fewest = min((n for _, n in loops.results if isinstance(n, int)), default=0)
        print(f"light client (whoami every 100 ms): {len(latencies)} requests, p50 {p50 * 1000:.0f} ms, "
              f"p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms, {light_failed} not 200")
        print(f"/MAAS/rpc/ event loops: fewest {fewest} of {WORKERS} over {len(loops.results)} samples")
        goals = [("0 x 500 (or other non-503 errors)", others == 0),
                 ("no live worker reaped", fewest >= WORKERS),
                 ("light client p99 < 1 s", p99 < 1.0)]
        print("goals: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in goals))
        return 0 if all(ok for _, ok in goals) else 1
    finally:
        if region:
            region.stop()
            shutil.rmtree(region.home, ignore_errors=True)
        if cluster:
            cluster.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", default="100,500,1000,3000")
    parser.add_argument("--machines", type=int, default=50)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("overload benchmark: time limit reached"))
    signal.alarm(TIME_LIMIT_S)
    sys.exit(run([int(s) for s in args.bursts.split(",")], args.machines))


if __name__ == "__main__":
    main()
