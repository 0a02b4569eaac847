"""One answer, one write: so that a region killed mid-answer leaves HAProxy nothing half-sent.

uvicorn writes a response's status line and headers as soon as the application starts the
response, and the body with a second `send()`.  A region killed (`kill -9`, OOM, power) between
the two leaves HAProxy holding complete headers and no body: it has already started answering
the client, so it cannot re-send the request elsewhere, and the client sees a broken response
("peer closed connection without sending complete message body").  Seen about once per few
region kills under load on a busy 2-core machine.

Killed *before* its single write, a region has sent nothing: HAProxy sees a connection closed with
no answer and re-sends an idempotent request to another region (`retry-on empty-response`, see
frontdoor.py).  So the transport below gathers everything a connection writes during one turn of
the event loop and sends it with one write at the end of that turn: a small response (every API
answer but the largest listings) leaves whole or not at all.  A streamed response still goes out
as it is produced, one turn at a time; the latency added is one loop turn.

`maas-regiond` serves with a subclass of this protocol (connections.py, see daemon.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class OneWriteTransport:
    """Wraps a transport: `write()`s made in one event-loop turn leave in one `write()`."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._flush_scheduled = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        self._pending.append(bytes(data))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self.flush)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        self._flush_scheduled = False
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(p) for p in self._pending)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()  # what was written before close() still goes, as with a plain transport
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, ...
        return getattr(self._transport, name)


class OneWriteH11Protocol(H11Protocol):
    """uvicorn's h11 protocol on a `OneWriteTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(OneWriteTransport(transport, self.loop))  # type: ignore[arg-type]
