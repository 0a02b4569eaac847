"""What the rack does over its channel: register on its first connection, and report its
interfaces and services when they change (checked every few seconds; a change reaches the
region within INTERFACES_CHECK_S) and when a region asks ("wake: refresh")."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from ironworks.common.logs import first_line, log_throttled
from ironworks.common.protocol.interfaces import InterfaceReport
from ironworks.rack.channel import Channel, ChannelUnavailable
from ironworks.rack.link import RegionLink, RemoteError

log = logging.getLogger("ironworks.rack")

INTERFACES_CHECK_S = 5.0
SERVICES_REPORT_S = 30.0


class RackAgent:
    def __init__(self, state, hostname: str, version: str,  # noqa: ANN001
                 interfaces: Callable[[], Awaitable[list[InterfaceReport]]],
                 services: Callable[[], dict[str, tuple[str, str]]]) -> None:
        self.state = state
        self.hostname = hostname
        self.version = version
        self.interfaces = interfaces
        self.services = services
        self.channel: Channel | None = None
        self.registered = asyncio.Event()
        self._register_lock = asyncio.Lock()
        self._refresh = asyncio.Event()
        self.reported_interfaces: list[dict] | None = None
        self.reported_services: dict | None = None

    async def _interfaces(self) -> list[dict] | None:
        """This host's interfaces now; None when they cannot be read (the last report stands)."""
        try:
            return [i.model_dump() for i in await self.interfaces()]
        except Exception as exc:
            log_throttled(log, first_line(exc), "cannot read this host's interfaces: %s", first_line(exc))
            return None

    async def on_welcome(self, link: RegionLink, welcome: dict) -> None:
        """Before a link takes calls: register through it when this run has not yet, or when
        the region does not know us on it (no system id yet)."""
        async with self._register_lock:
            if self.registered.is_set() and welcome.get("attached"):
                return
            interfaces = await self._interfaces()
            result = await link.call("register", {
                "hostname": self.hostname, "system_id": self.state.system_id(), "version": self.version,
                "interfaces": interfaces or []}, 30.0)
            if result["system_id"] != self.state.system_id():
                log.info("registered as %s (system id %s) through region %s", self.hostname,
                         result["system_id"], link.hostname)
            self.state.set_system_id(result["system_id"])
            self.state.set_cluster_uuid(result["cluster_uuid"])
            self.reported_interfaces = interfaces
            self.registered.set()

    async def on_push(self, message: dict) -> None:
        if message.get("type") != "wake":
            return
        if message.get("what") == "regions":  # a region came or went: read the list now
            if self.channel is not None:
                self.channel.link_changed()
        else:
            self._refresh.set()

    async def run(self) -> None:
        """Report changes until cancelled (the channel runs beside it)."""
        await self.registered.wait()
        elapsed = SERVICES_REPORT_S
        while True:
            forced = self._refresh.is_set()
            self._refresh.clear()
            try:
                await self._report_interfaces(forced)
                if forced or elapsed >= SERVICES_REPORT_S:
                    await self._report_services(forced)
                    elapsed = 0.0
            except (ChannelUnavailable, RemoteError) as exc:
                log_throttled(log, first_line(exc), "could not report to the region: %s", first_line(exc))
            try:
                await asyncio.wait_for(self._refresh.wait(), INTERFACES_CHECK_S)
            except TimeoutError:
                elapsed += INTERFACES_CHECK_S

    async def _report_interfaces(self, forced: bool) -> None:
        assert self.channel is not None
        interfaces = await self._interfaces()
        if interfaces is None:
            return
        if forced or interfaces != self.reported_interfaces:
            await self.channel.call("report_interfaces", {"interfaces": interfaces})
            if self.reported_interfaces is not None and interfaces != self.reported_interfaces:
                log.info("reported changed interfaces")
            self.reported_interfaces = interfaces

    async def _report_services(self, forced: bool) -> None:
        assert self.channel is not None
        services = self.services()
        await self.channel.call("report_services", {"services": services})
        self.reported_services = services
