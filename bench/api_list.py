"""Benchmark: `GET /MAAS/api/2.0/machines/` at growing machine counts.

Starts its own PostgreSQL and region (the test harness), bulk-inserts machines with SQL (two
interfaces with a static address each), times repeated listings and prints p50/p95 latency,
response size, statements per request and the ratio between the largest and smallest size.
Everything it started is stopped and removed at the end, also on failure or Ctrl-C.

The client is the standard library's http.client on one keep-alive connection (maascli's
httplib2 is built on it): it reads a body in a few large reads, so the time measured is the
region's, not a Python client's per-chunk parsing (httpx adds ~0.1 s per 55 MB).

    .venv/bin/python bench/api_list.py --sizes 1000,10000 --requests 20
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import signal
import statistics
import sys
import time

from ironworks.lab.harness import API, Cluster, Region, free_port, world_traversable_tempdir
from ironworks.lab.nodes import insert_nodes
from ironworks.region.api.auth import plaintext_header


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Client:
    """Signed GETs on one persistent connection."""

    def __init__(self, region: Region) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", region.port, timeout=120)
        self.apikey = region.apikey

    def get(self, path: str) -> tuple[int, bytes, int]:
        self.conn.request("GET", API + path, headers={"Authorization": plaintext_header(self.apikey)})
        response = self.conn.getresponse()
        body = response.read()
        return response.status, body, int(response.getheader("X-Ironworks-Queries") or -1)

    def close(self) -> None:
        self.conn.close()


def measure(client: Client, expected: int, requests: int) -> dict:
    client.get("machines/")  # warm-up: connection pool, compiled statements
    times: list[float] = []
    body, queries = b"", 0
    for _ in range(requests):
        start = time.perf_counter()
        status, body, queries = client.get("machines/")
        times.append(time.perf_counter() - start)
        if status != 200:
            raise SystemExit(f"GET machines/ answered {status}: {body[:200]!r}")
    count = len(json.loads(body))
    if count != expected:
        raise SystemExit(f"expected {expected} machines, got {count}")
    return {"p50": statistics.median(times), "p95": percentile(times, 0.95), "bytes": len(body),
            "queries": queries}


def run(sizes: list[int], requests: int) -> int:
    cluster: Cluster | None = None
    region: Region | None = None
    client: Client | None = None
    try:
        print("starting PostgreSQL and a region (1 worker) ...", flush=True)
        cluster = Cluster()
        # As ironworks.lab.harness.start_region, but `region` is known before its process starts, so the
        # clean-up below stops it even if start-up fails half-way.
        region = Region(cluster, cluster.new_database(), free_port(), world_traversable_tempdir("iw-bench-"))
        region.write_config()
        region.start()
        region.apikey = region.create_user("admin", admin=True).apikey or ""
        client = Client(region)
        print("machines are bulk-inserted with SQL, not created through the API: each has 2 "
              "interfaces (eth0, eth1) with a static address on one of 2 subnets.\n")
        print(f"{'machines':>9} {'p50 ms':>9} {'p95 ms':>9} {'MB':>8} {'queries':>8}")
        results: dict[int, dict] = {}
        have = 0
        for size in sizes:
            insert_nodes(region, have + 1, size - have, prefix="bench")
            have = size
            region.sql("ANALYZE")
            r = results[size] = measure(client, size, requests)
            print(f"{size:>9} {r['p50'] * 1000:>9.1f} {r['p95'] * 1000:>9.1f} "
                  f"{r['bytes'] / 1e6:>8.2f} {r['queries']:>8}", flush=True)
        small, large = results[sizes[0]], results[sizes[-1]]
        print(f"\nratio {sizes[-1]}/{sizes[0]}: p50 x{large['p50'] / small['p50']:.2f} "
              f"for x{sizes[-1] / sizes[0]:.0f} machines; queries {small['queries']} -> {large['queries']}"
              f" ({'constant' if small['queries'] == large['queries'] else 'NOT constant'})")
        return 0
    finally:
        if client is not None:
            client.close()
        if region is not None:
            region.stop()
            shutil.rmtree(region.home, ignore_errors=True)
        if cluster is not None:
            cluster.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated machine counts, ascending")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per size")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    if not sizes or sizes[0] < 1 or args.requests < 1:
        parser.error("sizes and requests must be positive")
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the clean-up runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(run(sizes, args.requests))


if __name__ == "__main__":
    main()
