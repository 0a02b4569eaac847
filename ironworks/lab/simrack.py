"""Simulated rack controllers for tests and benchmarks: the real channel and agent code
(rack/channel.py, rack/agent.py) with the host's facts supplied — hostname, interfaces,
services — and state kept in memory.  Many run in one process on one event loop thread, so a
test can have racks that are really connected (and really on VLANs) without namespaces, and
the channel benchmark can run a hundred."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Coroutine

from ironworks import __version__
from ironworks.common.protocol.auth import parse_secret
from ironworks.common.protocol.interfaces import InterfaceReport
from ironworks.rack.agent import RackAgent
from ironworks.rack.channel import Channel, Discovery, RackIdentity
from ironworks.rack.services import service_statuses


@dataclass
class MemoryState:
    """RackState's interface, in memory."""

    secret_hex: str | None
    _system_id: str | None = None
    _cluster_uuid: str | None = None
    cache: list[tuple[str, int]] = field(default_factory=list)

    def secret(self) -> bytes | None:
        return parse_secret(self.secret_hex) if self.secret_hex else None

    def system_id(self) -> str | None:
        return self._system_id

    def set_system_id(self, value: str) -> None:
        self._system_id = value

    def cluster_uuid(self) -> str | None:
        return self._cluster_uuid

    def set_cluster_uuid(self, value: str) -> None:
        self._cluster_uuid = value

    def cached_endpoints(self) -> list[tuple[str, int]]:
        return list(self.cache)

    def cache_endpoints(self, endpoints: list[tuple[str, int]]) -> None:
        self.cache = list(endpoints)

    def wipe(self) -> None:
        self.secret_hex = self._system_id = self._cluster_uuid = None
        self.cache = []


class SimRack:
    """One simulated rack; start it on a RackLoop."""

    def __init__(self, hostname: str, urls: list[str], secret: str,
                 interfaces: list[dict] | None = None) -> None:
        self.hostname = hostname
        self.version = __version__
        self.urls = list(urls)
        self.state = MemoryState(secret)
        self.interfaces = [InterfaceReport.model_validate(i) for i in interfaces or []]
        self.agent: RackAgent | None = None
        self.channel: Channel | None = None
        self.task: asyncio.Task | None = None
        self.refusal: Exception | None = None

    async def _run(self) -> None:
        agent = self.agent = RackAgent(self.state, self.hostname, self.version, self._interfaces,
                                       service_statuses)
        identity = RackIdentity(self.hostname, self.version, self.state.secret, self.state.system_id,
                                self.state.cluster_uuid)
        discovery = Discovery(lambda: self.urls, self.state.cached_endpoints, self.state.cache_endpoints)
        channel = self.channel = agent.channel = Channel(identity, discovery, agent.on_push, agent.on_welcome)
        tasks = [asyncio.create_task(channel.run()), asyncio.create_task(agent.run())]
        try:
            done, _ = await asyncio.wait([channel.refused, *tasks], return_when=asyncio.FIRST_COMPLETED)
            if channel.refused in done:
                self.refusal = channel.refused.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await channel.close()

    async def _interfaces(self) -> list[InterfaceReport]:
        return list(self.interfaces)

    @property
    def system_id(self) -> str | None:
        return self.state.system_id()

    @property
    def connected_regions(self) -> int:
        return len(self.channel.connected) if self.channel else 0


class RackLoop:
    """An event loop in a thread that runs SimRacks; `close()` stops them all."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="simracks", daemon=True)
        self.thread.start()
        self.racks: list[SimRack] = []

    def submit(self, coro: Coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine, timeout: float = 60) -> Any:
        return self.submit(coro).result(timeout)

    def start(self, rack: SimRack) -> SimRack:
        async def begin() -> None:
            rack.task = asyncio.create_task(rack._run())
        self.run(begin())
        self.racks.append(rack)
        return rack

    def stop(self, rack: SimRack) -> None:
        async def end() -> None:
            if rack.task is not None:
                rack.task.cancel()
                await asyncio.gather(rack.task, return_exceptions=True)
        self.run(end())

    def call(self, rack: SimRack, method: str, params: dict | None = None, timeout: float = 30) -> Any:
        assert rack.channel is not None
        return self.run(rack.channel.call(method, params, timeout), timeout + 5)

    def close(self) -> None:
        for rack in self.racks:
            try:
                self.stop(rack)
            except Exception:
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def __enter__(self) -> "RackLoop":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect_existing(loop: RackLoop, region, system_id: str, timeout: float = 30) -> SimRack:  # noqa: ANN001
    """Bring a rack node a test wrote into the database (lab/nodes.add_node) to life: a SimRack
    with its hostname and its interfaces (names and MACs, so they keep their VLANs) connects
    to `region` (a harness Region) and registers as that node."""
    hostname, secret = region.sql(
        "SELECT n.hostname, (SELECT value #>> '{}' FROM config WHERE name = 'rpc_shared_secret') "
        "FROM node n WHERE n.system_id = %s", (system_id,))[0]
    if secret is None:  # no region has started on this database since the secret existed
        raise RuntimeError("the cluster has no shared secret yet")
    nics = region.sql("SELECT name, mac_address::text FROM interface i JOIN node n ON n.id = i.node_id "
                      "WHERE n.system_id = %s AND i.type = 'physical' ORDER BY i.id", (system_id,))
    rack = SimRack(hostname, [region.url.rstrip("/")], secret,
                   [{"name": name, "type": "physical", "mac_address": mac} for name, mac in nics])
    rack.state.set_system_id(system_id)
    loop.start(rack)
    deadline = time.monotonic() + timeout
    while not region.sql("SELECT 1 FROM rack_connection c JOIN node n ON n.id = c.node_id "
                         "WHERE n.system_id = %s", (system_id,)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"rack {hostname} did not connect within {timeout:.0f} s")
        time.sleep(0.1)
    return rack


def cluster_secret(region) -> str:  # noqa: ANN001
    """The cluster's shared secret, as a rack is given it (a harness Region's database)."""
    return region.sql("SELECT value #>> '{}' FROM config WHERE name = 'rpc_shared_secret'")[0][0]


def rack_json(region, hostname: str) -> dict | None:  # noqa: ANN001
    """The rack as `rack-controllers read` shows it (through `region`'s API), or None."""
    return next((r for r in region.client().get("rackcontrollers/").json() if r["hostname"] == hostname), None)


def rackd_of(region, hostname: str) -> tuple[str, str] | None:  # noqa: ANN001
    """The rack's `rackd` (status, status_info) as `rack-controllers read` shows it."""
    rack = rack_json(region, hostname)
    if rack is None:
        return None
    return next(((s["status"], s["status_info"]) for s in rack["service_set"] if s["name"] == "rackd"), None)
