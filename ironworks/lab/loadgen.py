"""Client load for the HA lab: signed GETs from several loopback source addresses (HAProxy's
`balance source` hashes by source), recorded as samples, and the figures drawn from them."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Iterable

import httpx

from ironworks.lab.harness import API
from ironworks.lab.hosts import LabError
from ironworks.region.api.auth import plaintext_header

CLIENT_SOURCES = tuple(f"127.0.1.{i}" for i in range(1, 9))
# Idempotent, signed, database-backed reads: safe for HAProxy to re-send.
LOAD_PATHS = ("users/?op=whoami", "maas/?op=get_config&name=maas_name")


@dataclass
class Sample:
    client: str
    source: str
    path: str
    start: float
    end: float
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass
class Load:
    """Clients bound to several loopback source addresses (HAProxy's `balance source` hashes by
    source), each sending signed GETs one after the other as fast as answers come, until stopped."""

    base: str  # http://host:port (the server root)
    apikey: str
    sources: tuple[str, ...] = CLIENT_SOURCES
    paths: tuple[str, ...] = LOAD_PATHS
    per_source: int = 1
    timeout: float = 30.0
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Load":
        for source in self.sources:
            for n in range(self.per_source):
                t = threading.Thread(target=self._client, args=(source, n), daemon=True,
                                     name=f"load-{source}-{n}")
                t.start()
                self._threads.append(t)
        return self

    def stop(self) -> list[Sample]:
        self._stop.set()
        for t in self._threads:
            t.join(self.timeout + 5)
        return self.samples

    def _client(self, source: str, n: int) -> None:
        name = f"{source}#{n}"
        transport = httpx.HTTPTransport(local_address=source, retries=0)
        with httpx.Client(transport=transport, timeout=self.timeout) as http:
            i = n
            while not self._stop.is_set():
                path = self.paths[i % len(self.paths)]
                i += 1
                t0 = time.monotonic()
                try:
                    r = http.get(f"{self.base}{API}{path}",
                                 headers={"Authorization": plaintext_header(self.apikey)})
                    sample = Sample(name, source, path, t0, time.monotonic(), r.status_code,
                                    None if r.status_code == 200 else r.text[:200])
                except httpx.HTTPError as exc:
                    sample = Sample(name, source, path, t0, time.monotonic(), None, repr(exc))
                with self._lock:
                    self.samples.append(sample)


def failures(samples: Iterable[Sample]) -> list[Sample]:
    return [s for s in samples if not s.ok]


def longest_stall(samples: list[Sample], since: float, until: float) -> float:
    """The longest time any one client went without a successful answer within [since, until]:
    the gap between consecutive successful completions (or the window's edges)."""
    worst = 0.0
    by_client: dict[str, list[float]] = {}
    for s in samples:
        if s.ok and since <= s.end <= until:
            by_client.setdefault(s.client, []).append(s.end)
    for ends in by_client.values():
        ends.sort()
        edges = [since, *ends]
        worst = max(worst, max(b - a for a, b in zip(edges, edges[1:])))
    return worst


def rate(samples: Iterable[Sample], since: float, until: float) -> float:
    n = sum(1 for s in samples if s.ok and since <= s.end <= until)
    return n / max(until - since, 1e-9)


def _load_process_main(base: str, apikey: str, sources: tuple[str, ...], per_source: int,
                       duration: float, results) -> None:  # noqa: ANN001 - a multiprocessing queue
    load = Load(base, apikey, sources=sources, per_source=per_source).start()
    time.sleep(duration)
    results.put(load.stop())


class ProcessLoad:
    """`Load` spread over several client processes (one interpreter cannot keep many clients
    busy), each with its own source addresses; runs for `duration` seconds.  The processes are
    ours: stopped by PID if anything goes wrong."""

    def __init__(self, base: str, apikey: str, *, sources: tuple[str, ...], processes: int,
                 per_source: int, duration: float) -> None:
        import multiprocessing

        self.ctx = multiprocessing.get_context("spawn")
        self.results = self.ctx.Queue()
        self.duration = duration
        groups = [sources[i::processes] for i in range(processes)]
        self.procs = [self.ctx.Process(target=_load_process_main, daemon=True,
                                       args=(base, apikey, g, per_source, duration, self.results))
                      for g in groups if g]

    def start(self) -> "ProcessLoad":
        for p in self.procs:
            p.start()
        return self

    def collect(self, timeout: float = 120) -> list[Sample]:
        import queue

        samples: list[Sample] = []
        deadline = time.monotonic() + self.duration + timeout
        for _ in self.procs:
            try:
                samples += self.results.get(timeout=max(deadline - time.monotonic(), 1))
            except queue.Empty:
                raise LabError("a load process did not report") from None
        for p in self.procs:
            p.join(10)
        return samples

    def stop(self) -> None:
        for p in self.procs:
            if p.pid is not None and p.exitcode is None:
                p.kill()  # SIGKILL to that PID
                p.join(5)
