"""The rack end of the channel: a connection to every live region, calls that survive a
region's death.

Discovery reads `/MAAS/rpc/` from any configured URL or cached region address and keeps one
`RegionLink` per region host (a region's processes share its port, so one connection per host).
Each link reconnects with backoff; pings notice a half-open connection in < 10 s.  A call goes to
a connected region and, if that region dies mid-call or says it is unavailable, to another —
every call is idempotent, so a region's death is invisible to the rack's work."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import httpx

from ironworks.common.protocol import messages as m
from ironworks.rack.link import ChannelRefused, LinkLost, RegionLink, RemoteError

log = logging.getLogger("ironworks.rack.channel")

POLL_DISCONNECTED_S = 1.0
POLL_PARTLY_S = 5.0
POLL_CONNECTED_S = 30.0
DISCOVERY_TIMEOUT_S = 3.0
CALL_TIMEOUT_S = 30.0


class ChannelUnavailable(Exception):
    """No region answered the call in time."""


@dataclass
class RackIdentity:
    """What the rack tells regions about itself; read again for each connection attempt."""

    hostname: str
    version: str
    secret: Callable[[], bytes | None]
    system_id: Callable[[], str | None]
    cluster_uuid: Callable[[], str | None]


@dataclass
class Discovery:
    """Where to ask for the region list: configured URLs first, then cached addresses."""

    urls: Callable[[], list[str]]
    cached: Callable[[], list[tuple[str, int]]]
    remember: Callable[[list[tuple[str, int]]], None]
    last: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def sources(self) -> list[str]:
        found = [u.rstrip("/") + "/rpc/" for u in self.urls()]
        for address, port in self.cached():
            host = f"[{address}]" if ":" in address else address
            found.append(f"http://{host}:{port}/MAAS/rpc/")
        return list(dict.fromkeys(found))

    async def regions(self, client: httpx.AsyncClient) -> dict[str, list[tuple[str, int]]] | None:
        """hostname → endpoints, from the first source that answers (None if none did)."""
        for url in self.sources():
            try:
                document = (await client.get(url, timeout=DISCOVERY_TIMEOUT_S)).raise_for_status().json()
                regions = regions_from(document)
            except (httpx.HTTPError, ValueError, TypeError, AttributeError) as exc:
                log.debug("region list from %s failed: %s", url, exc)
                continue
            if regions:
                if regions != self.last:
                    self.remember([e for endpoints in regions.values() for e in endpoints])
                self.last = regions
                return regions
        return None


def regions_from(document: dict) -> dict[str, list[tuple[str, int]]]:
    """Group `/MAAS/rpc/` eventloops ("host:pid=N": [[address, port], ...]) by region host."""
    regions: dict[str, list[tuple[str, int]]] = {}
    for key, endpoints in document["eventloops"].items():
        host = key.rsplit(":pid=", 1)[0]
        known = regions.setdefault(host, [])
        for address, port in endpoints:
            if (str(address), int(port)) not in known:
                known.append((str(address), int(port)))
    return regions


Push = Callable[[dict], Awaitable[None]]


class Channel:
    def __init__(self, identity: RackIdentity, discovery: Discovery, on_push: Push,
                 on_welcome: Callable[[RegionLink, dict], Awaitable[None]]) -> None:
        self.identity = identity
        self.discovery = discovery
        self.on_push = on_push
        self.on_welcome = on_welcome
        self.links: dict[str, RegionLink] = {}
        self.tasks: dict[str, asyncio.Task] = {}
        self.changed = asyncio.Event()  # a link connected or dropped
        self.refused: asyncio.Future = asyncio.get_running_loop().create_future()  # fatal refusal
        self._turn = itertools.count()

    # -- state --------------------------------------------------------------------------------
    @property
    def connected(self) -> list[RegionLink]:
        return [link for link in self.links.values() if link.ready]

    def link_changed(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def fatal(self, refusal: ChannelRefused) -> None:
        if not self.refused.done():
            self.refused.set_result(refusal)

    # -- discovery ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Keep a link to every region in the list until cancelled."""
        async with httpx.AsyncClient(trust_env=False) as client:
            try:
                while True:
                    regions = await self.discovery.regions(client)
                    if regions is not None:
                        self._follow(regions)
                    elif not self.links:
                        log.warning("no region answered at %s; trying again", ", ".join(self.discovery.sources())
                                    or "(no configured URL and no cached address)")
                    await self._wait_for_next_poll()
            finally:
                await self.close()

    async def _wait_for_next_poll(self) -> None:
        ready = len(self.connected)
        delay = (POLL_DISCONNECTED_S if ready == 0 else POLL_PARTLY_S if ready < len(self.links)
                 else POLL_CONNECTED_S)
        try:  # a link dropping means the list may have changed: look again soon
            await asyncio.wait_for(self.changed.wait(), delay)
            await asyncio.sleep(POLL_DISCONNECTED_S * random.uniform(0.5, 1.0))
        except TimeoutError:
            pass

    def _follow(self, regions: dict[str, list[tuple[str, int]]]) -> None:
        for host, endpoints in regions.items():
            link = self.links.get(host)
            if link is None:
                link = self.links[host] = RegionLink(self, host, endpoints)
                self.tasks[host] = asyncio.create_task(link.run())
                log.info("region %s found at %s", host, ", ".join(f"{a}:{p}" for a, p in endpoints))
            else:
                link.endpoints = endpoints
        for host in [h for h in self.links if h not in regions]:
            log.info("region %s left the region list; disconnecting", host)
            self.tasks.pop(host).cancel()
            del self.links[host]
            self.link_changed()

    async def close(self) -> None:
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()
        self.links.clear()

    # -- calls --------------------------------------------------------------------------------
    async def call(self, method: str, params: dict | None = None, timeout: float = CALL_TIMEOUT_S) -> Any:
        """Call `method` on any connected region; on a region's death or unavailability, on
        another.  Raises RemoteError for the region's refusal, ChannelUnavailable on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        failed: set[RegionLink] = set()
        last: Exception | None = None
        while (remaining := deadline - loop.time()) > 0:
            candidates = [link for link in self.connected if link not in failed] or self.connected
            if not candidates:
                try:
                    await asyncio.wait_for(self.changed.wait(), remaining)
                except TimeoutError:
                    break
                continue
            link = candidates[next(self._turn) % len(candidates)]
            try:
                return await link.call(method, params or {}, remaining)
            except LinkLost as exc:
                last = exc
            except RemoteError as exc:
                if exc.kind != m.ERROR_UNAVAILABLE:
                    raise
                last = exc
                await asyncio.sleep(min(0.5, max(deadline - loop.time(), 0)))
            failed.add(link)
        raise ChannelUnavailable(f"no region controller answered {method} within {timeout:.0f} s"
                                 + (f" (last: {last})" if last else ""))
