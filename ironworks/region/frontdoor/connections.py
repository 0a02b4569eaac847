"""Connection hygiene for the region's HTTP server: a request's head must arrive within a
bound, and a worker holds a bounded number of connections.

Without these, half-sent or silent connections stay open for ever (uvicorn times out idle
keep-alive connections only *after* a first response): about 4,400 of them exhausted a worker's
descriptors and normal requests timed out.  The head timeout closes a connection whose request
line and headers are not complete HEAD_TIMEOUT_S after its first byte was awaited; the cap
refuses connections beyond MAX_CONNECTIONS per worker with one log line per interval.
"""

from __future__ import annotations

import asyncio
import logging
import time

import h11

from ironworks.region.frontdoor.wire import OneWriteH11Protocol

HTTP_PROTOCOL = "ironworks.region.frontdoor.connections:GuardedH11Protocol"
HEAD_TIMEOUT_S = 10.0
IDLE_TIMEOUT_S = 5  # between requests on a keep-alive connection (uvicorn's timeout_keep_alive)
MAX_CONNECTIONS = 2048
CAP_LOG_INTERVAL_S = 10.0

log = logging.getLogger("ironworks.http")


class _CapLog:
    """One line per interval while the cap refuses connections, with how many it refused."""

    refused = 0
    last = 0.0

    @classmethod
    def note(cls) -> None:
        cls.refused += 1
        now = time.monotonic()
        if now - cls.last >= CAP_LOG_INTERVAL_S:
            log.warning("connection cap reached: %d connections open in this worker; refused %d new "
                        "connection(s) in the last %.0f s", MAX_CONNECTIONS, cls.refused, CAP_LOG_INTERVAL_S)
            cls.last, cls.refused = now, 0


class GuardedH11Protocol(OneWriteH11Protocol):
    """uvicorn's h11 protocol (one write per answer) with a head timeout and a connection cap."""

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= MAX_CONNECTIONS:
            _CapLog.note()
            transport.close()
            return
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm_head_timer()  # a head is (still) on its way: its clock keeps running
        else:
            self._disarm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        if self in self.connections or self.transport is not None:
            super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()
