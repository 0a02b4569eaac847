"""What runs inside each region worker process besides HTTP: its process row and heartbeat,
the cluster's liveness singleton, and the change feed that keeps the region directory fresh."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import socket
import subprocess
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ironworks.common import identity
from ironworks.common.logs import first_line, log_throttled
from ironworks.db.connect import Target, async_engine
from ironworks.region import parent_death
from ironworks.region.cluster import budget
from ironworks.region.cluster.feed import ChangeFeed
from ironworks.region.cluster.fresh import FreshSessions, Probe
from ironworks.region.cluster.liveness import (
    HEARTBEAT_S,
    LIVENESS_INTERVAL_S,
    Contact,
    rpc_document,
)
from ironworks.region.cluster.singleton import Singleton
from ironworks.region.config import RegionConfig
from ironworks.region.rpc.hub import RackHub
from ironworks.region.services.controllers import processes, rack_links
from ironworks.region.services.controllers.cluster import (
    ClusterIdentity,
    cluster_identity,
)

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

    async def refresh(self) -> bool:
        """Read the directory again; True when it changed."""
        async with self.engine.connect() as conn:
            document = rpc_document(await processes.live_endpoints(conn))
        changed, self.document = document != self.document, document
        return changed


class RegionRuntime:
    """One worker's lifetime.  Its heartbeat runs on a new connection each time (cluster/fresh.py),
    never on the request pool; its long-lived sessions (liveness singleton, change feed) are let
    go while the database refuses new connections (a smart shutdown waits for them), together
    with the idle request pool, and taken up again once a new connection succeeds."""

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
        self.sessions: list[asyncio.Task] = []  # liveness singleton, change feed
        self.liveness: Singleton | None = None
        self.feed: ChangeFeed | None = None
        self.fresh: FreshSessions | None = None
        self.contact = Contact()
        self.system_id = ""
        self.hostname = socket.gethostname()
        self.cluster: ClusterIdentity | None = None
        self.hub = RackHub(engine, lambda: self.process_id)

    async def start(self) -> None:
        _configure_worker_logging()
        parent_death.die_with_master()
        system_id = identity.read(self.data_dir)
        async with self.engine.begin() as conn:
            self.node_id = await processes.node_id_of(conn, system_id or "")
        if self.node_id is None:
            raise RuntimeError("this region is not registered (start it with maas-regiond)")
        # Names this process's dedicated sessions in pg_stat_activity (tests and operators).
        label = f"{system_id}:{self.pid}"
        self.system_id = system_id or ""
        self.fresh = FreshSessions(self.target.conninfo_for(f"maas-regiond:fresh:{label}"))
        async with self.fresh.session() as conn:
            self.cluster = await cluster_identity(conn)
            await self._register(conn)
        self.liveness = Singleton(
            "liveness", LIVENESS_LOCK, LIVENESS_INTERVAL_S, self._liveness_pass,
            lambda: async_engine(self.target, pool_size=1,
                                 application_name=f"maas-regiond:singleton:liveness:{label}"))
        self.feed = ChangeFeed(self.target.conninfo_for(f"maas-regiond:feed:{label}"),
                               {processes.CHANNEL: self._refresh_directory},
                               listeners={rack_links.WAKE_CHANNEL: self.hub.on_wake,
                                          rack_links.STOP_CHANNEL: self.hub.on_stop})
        self._hold_sessions()
        self.tasks = [asyncio.create_task(self._heartbeat()), asyncio.create_task(self.hub.run())]

    async def _refresh_directory(self) -> None:
        if await self.directory.refresh():
            # A region came or went: racks look at the list now rather than at their next poll
            # (up to 30 s when fully connected).
            await self.hub.broadcast("regions")

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self._let_go_sessions()
        if self.process_id is not None and self.fresh is not None:
            try:
                async with self.fresh.session() as conn:
                    await processes.unregister_process(conn, self.process_id)
            except Exception as exc:  # the database may be gone; the row will be reaped
                log.warning("could not unregister process: %s", first_line(exc))
        if self.fresh is not None:
            await self.fresh.dispose()

    async def database_health(self) -> Probe:
        """Whether this process can serve: a new connection works (fresh.py: an answer at most a
        second old) and, while it holds them, its change-feed session is up.  The feed's session
        drops the moment the server crashes or stops, which a cached answer could not show."""
        assert self.fresh is not None and self.feed is not None
        if self.sessions and not self.feed.connected.is_set():
            return Probe(False, "the database session was lost", time.monotonic())
        return await self.fresh.probe()

    def _hold_sessions(self) -> None:
        assert self.liveness is not None and self.feed is not None
        self.sessions = [asyncio.create_task(self.liveness.run()), asyncio.create_task(self.feed.run())]

    async def _let_go_sessions(self) -> None:
        for task in self.sessions:
            task.cancel()
        await asyncio.gather(*self.sessions, return_exceptions=True)
        self.sessions = []

    async def _register(self, conn: AsyncConnection) -> None:
        self.process_id = await processes.register_process(
            conn, self.node_id, self.pid, self.config.num_workers, budget.PER_PROCESS,
            endpoints_for(self.config))

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            await self._beat()

    async def _beat(self) -> None:
        assert self.fresh is not None
        reattach = False
        try:
            async with self.fresh.session() as conn:
                if not await processes.heartbeat(conn, self.process_id):
                    # reaped while we were stalled or cut off: come back
                    log.warning("this process was reaped by the cluster; registering again")
                    await self._register(conn)
                    reattach = True
            if self.fresh.last and self.fresh.last.db_now:
                self.contact.saw(self.fresh.last.db_now)
        except Exception as exc:
            log_throttled(log, first_line(exc), "heartbeat failed: %s", first_line(exc))
        if reattach:  # the reaped row took this process's rack connections with it
            asyncio.get_running_loop().create_task(self.hub.reconcile())
        probe = self.fresh.last
        if probe is None:
            return
        if probe.shutting_down and self.sessions:
            log.warning("the database refuses new connections (shutting down): letting go of this "
                        "process's sessions until it accepts them again")
            await self._let_go_sessions()
            await self.engine.dispose()  # idle pooled sessions; busy ones close when returned
        elif probe.db_now is not None and not self.sessions:
            log.info("the database accepts new connections again: taking up this process's sessions")
            self._hold_sessions()

    async def _liveness_pass(self, conn: AsyncConnection) -> None:
        self.contact.saw(await conn.scalar(select(func.now())))
        reaped = await processes.reap_and_update(conn, self.node_id, self.pid, self.contact.since)
        for what in reaped:
            log.warning("reaped silent region process (%s)", what)
        # Racks' `rackd`: their connections to reaped processes went with them, and a region
        # that died or came back changes how many regions every rack should reach.
        await rack_links.update_rackd(conn)
