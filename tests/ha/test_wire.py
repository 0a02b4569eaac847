"""A region answers with one write (ironworks/region/frontdoor/wire.py): killed mid-answer, it has sent
HAProxy either the whole response or nothing, never headers without their body."""

from __future__ import annotations

import asyncio

from uvicorn.config import Config
from uvicorn.server import ServerState

from ironworks.region.frontdoor.wire import OneWriteH11Protocol, OneWriteTransport


class SpyTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data) -> None:  # noqa: ANN001
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name, default=None):  # noqa: ANN001, ANN201
        return {"sockname": ("127.0.0.11", 5240), "peername": ("127.0.0.10", 40000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


async def app(scope, receive, send) -> None:  # noqa: ANN001 - a minimal ASGI app answering in two sends
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"11")]})
    await send({"type": "http.response.body", "body": b'"ironworks"'})


def test_headers_and_body_leave_in_one_write() -> None:
    async def scenario() -> list[bytes]:
        config = Config(app=app, log_level="warning")
        config.load()
        protocol = OneWriteH11Protocol(config, ServerState(), {}, _loop=asyncio.get_running_loop())
        spy = SpyTransport()
        protocol.connection_made(spy)
        protocol.data_received(b"GET /MAAS/api/2.0/maas/?op=get_config&name=maas_name HTTP/1.1\r\n"
                               b"Host: 127.0.0.10\r\n\r\n")
        for _ in range(20):
            await asyncio.sleep(0)
        protocol.connection_lost(None)
        return spy.writes

    writes = asyncio.run(scenario())
    assert len(writes) == 1, writes
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b'\r\n\r\n"ironworks"')


def test_writes_of_one_loop_turn_are_joined_and_close_flushes() -> None:
    async def scenario() -> SpyTransport:
        spy = SpyTransport()
        t = OneWriteTransport(spy, asyncio.get_running_loop())
        t.write(b"a")
        t.write(b"")
        t.write(bytearray(b"b"))
        assert spy.writes == [] and t.get_write_buffer_size() == 2
        await asyncio.sleep(0)
        assert spy.writes == [b"ab"]
        t.write(b"c")
        t.close()  # written before close: still sent, then closed
        assert spy.writes == [b"ab", b"c"] and spy.closed
        await asyncio.sleep(0)
        assert t.is_closing() and spy.writes == [b"ab", b"c"]
        return spy

    asyncio.run(scenario())
