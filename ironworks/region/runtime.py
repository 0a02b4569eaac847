"""What runs inside each region worker process besides HTTP: its process row and heartbeat,
the cluster's liveness singleton, and the change feed that keeps the region directory fresh."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import subprocess
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from ironworks.common import identity
from ironworks.db.connect import Target, async_engine
from ironworks.region.cluster import budget
from ironworks.region.cluster.feed import ChangeFeed
from ironworks.region.cluster.liveness import HEARTBEAT_S, LIVENESS_INTERVAL_S, rpc_document
from ironworks.region.cluster.singleton import Singleton
from ironworks.region.config import RegionConfig
from ironworks.region.services.controllers import processes

log = logging.getLogger("ironworks.runtime")

LIVENESS_LOCK = 0x69772D6C697665  # "iw-live"


def host_addresses() -> list[str]:
    """Global addresses of this host (for a region listening on the wildcard address)."""
    try:
        out = subprocess.run(["ip", "-j", "addr", "show"], capture_output=True, text=True, timeout=5).stdout
        found = [a["local"] for link in json.loads(out) for a in link.get("addr_info", [])
                 if a.get("scope") == "global"]
    except (OSError, ValueError, subprocess.SubprocessError):
        found = []
    return found or ["127.0.0.1"]


def endpoints_for(config: RegionConfig) -> list[tuple[str, int]]:
    address = ipaddress.ip_address(config.listen_address)
    addresses = host_addresses() if address.is_unspecified else [str(address)]
    return [(a, config.listen_port) for a in addresses]


def _configure_worker_logging() -> None:
    """Worker processes are fresh interpreters (uvicorn spawns them) whose root logger has no
    handler: without this their INFO lines (singleton acquired, ...) are lost and their warnings
    come without time or origin.  The master's format (daemon.py) plus the worker's PID."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=os.environ.get("MAAS_LOG_LEVEL", "info").upper(),
                            format="%(asctime)s %(name)s[%(process)d] %(levelname)s %(message)s")


class RegionDirectory:
    """Every live region process and its endpoints (`GET /MAAS/rpc/`), refreshed by the feed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.document: dict = {"eventloops": {}}

    async def refresh(self) -> None:
        async with self.engine.connect() as conn:
            self.document = rpc_document(await processes.live_endpoints(conn))


class RegionRuntime:
    def __init__(self, config: RegionConfig, data_dir: Path, target: Target, engine: AsyncEngine) -> None:
        self.config = config
        self.data_dir = data_dir
        self.target = target
        self.engine = engine
        self.pid = os.getpid()
        self.node_id: int | None = None
        self.process_id: int | None = None
        self.directory = RegionDirectory(engine)
        self.tasks: list[asyncio.Task] = []
        self.liveness: Singleton | None = None

    async def start(self) -> None:
        _configure_worker_logging()
        system_id = identity.read(self.data_dir)
        async with self.engine.begin() as conn:
            self.node_id = await processes.node_id_of(conn, system_id or "")
        if self.node_id is None:
            raise RuntimeError("this region is not registered (start it with maas-regiond)")
        # Names this process's dedicated sessions in pg_stat_activity (tests and operators).
        label = f"{system_id}:{self.pid}"
        await self._register()
        self.liveness = Singleton(
            "liveness", LIVENESS_LOCK, LIVENESS_INTERVAL_S, self._liveness_pass,
            lambda: async_engine(self.target, pool_size=1,
                                 application_name=f"maas-regiond:singleton:liveness:{label}"))
        feed = ChangeFeed(self.target.conninfo_for(f"maas-regiond:feed:{label}"),
                          {processes.CHANNEL: self.directory.refresh})
        self.tasks = [asyncio.create_task(c) for c in (self._heartbeat(), self.liveness.run(), feed.run())]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.process_id is not None:
            try:
                async with self.engine.begin() as conn:
                    await processes.unregister_process(conn, self.process_id)
            except Exception as exc:  # the database may be gone; the row will be reaped
                log.warning("could not unregister process: %s", exc)

    async def _register(self) -> None:
        async with self.engine.begin() as conn:
            self.process_id = await processes.register_process(
                conn, self.node_id, self.pid, self.config.num_workers, budget.PER_PROCESS,
                endpoints_for(self.config))

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                async with self.engine.begin() as conn:
                    alive = await processes.heartbeat(conn, self.process_id)
                if not alive:  # reaped while we were stalled or cut off: come back
                    log.warning("this process was reaped by the cluster; registering again")
                    await self._register()
            except Exception as exc:
                log.warning("heartbeat failed: %s", str(exc).splitlines()[0] if str(exc) else exc)

    async def _liveness_pass(self, conn) -> None:  # noqa: ANN001
        reaped = await processes.reap_and_update(conn, self.node_id, self.pid)
        for what in reaped:
            log.warning("reaped silent region process (%s)", what)
