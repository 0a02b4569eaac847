"""The change feed: LISTEN on a dedicated connection, re-established after a loss.

A notification triggers a refresh; so do a reconnect and a periodic timer, because
notifications sent while disconnected are lost.  A missed notification only delays an update.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

import psycopg

from ironworks.common.logs import first_line, log_throttled

log = logging.getLogger("ironworks.feed")

Refresh = Callable[[], Awaitable[None]]
Listener = Callable[[str], Awaitable[None]]


class ChangeFeed:
    """`channels`: refreshed on a notification, a reconnect and the timer.  `listeners`: called
    with each notification's payload only (events such as "wake rack X": nothing to reconcile)."""

    def __init__(self, conninfo: str, channels: dict[str, Refresh], reconcile_s: float = 30.0,
                 listeners: dict[str, Listener] | None = None) -> None:
        self.conninfo = conninfo
        self.channels = channels
        self.listeners = listeners or {}
        self.reconcile_s = reconcile_s
        self.connected = asyncio.Event()

    async def reconcile(self) -> None:
        for refresh in self.channels.values():
            await _safely(refresh)

    async def run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log_throttled(log, first_line(exc), "change feed lost its connection (%s); reconnecting",
                              first_line(exc))
            finally:
                self.connected.clear()
            await asyncio.sleep(1.0)

    async def _listen(self) -> None:
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
            for channel in [*self.channels, *self.listeners]:
                await conn.execute(f'LISTEN "{channel}"')
            self.connected.set()
            await self.reconcile()  # whatever happened while we were not listening
            while True:
                async for note in conn.notifies(timeout=self.reconcile_s):
                    refresh = self.channels.get(note.channel)
                    if refresh:
                        await _safely(refresh)
                    listener = self.listeners.get(note.channel)
                    if listener:
                        await _safely(lambda: listener(note.payload))
                await self.reconcile()  # the timer: notifications are an optimisation
                await conn.execute("SELECT 1")  # notice a dead session even when idle


async def _safely(refresh: Refresh) -> None:
    try:
        await refresh()
    except Exception as exc:  # a failed refresh is retried by the next event or timer
        log_throttled(log, first_line(exc), "refresh failed: %s", first_line(exc))
