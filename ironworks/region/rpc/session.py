"""One rack's channel as this region process holds it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.websockets import WebSocket

from ironworks.common.protocol import messages as m


@dataclass(eq=False)
class RackSession:
    ws: WebSocket
    remote: str
    hostname: str = ""
    system_id: str | None = None
    node_id: int | None = None        # set once the rack is registered on this connection
    connection_id: int | None = None  # its rack_connection row, while recorded
    closed: bool = False
    _send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def label(self) -> str:
        who = self.hostname or "unregistered rack"
        return f"{who} ({self.system_id}) at {self.remote}" if self.system_id else f"{who} at {self.remote}"

    async def send(self, message: dict) -> None:
        async with self._send_lock:  # frames from concurrent call tasks must not interleave
            await self.ws.send_text(m.encode(message))

    async def close(self, code: int, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        try:
            await self.ws.close(code, reason[:120])
        except Exception:  # already gone: nothing left to tell it
            pass
