"""Half-sent and idle connections are closed, and a worker's connections are capped
(region/frontdoor/connections.py): in-process against the real protocol, and once against a
real region over loopback."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from ironworks.lab.harness import Region
from ironworks.region.frontdoor import connections
from ironworks.region.frontdoor.connections import GuardedH11Protocol


class SpyTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default=None):  # noqa: ANN001, ANN201
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 5240)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def app(scope, receive, send) -> None:  # noqa: ANN001
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})


def protocol(state: ServerState) -> GuardedH11Protocol:
    config = Config(app=app, log_level="warning")
    config.load()
    return GuardedH11Protocol(config, state, {}, _loop=asyncio.get_running_loop())


def test_a_half_sent_head_is_closed_after_the_head_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "HEAD_TIMEOUT_S", 0.2)

    async def scenario() -> tuple[bool, bool, bool]:
        state = ServerState()
        silent, slow, whole = protocol(state), protocol(state), protocol(state)
        spies = [SpyTransport() for _ in range(3)]
        for p, spy in zip((silent, slow, whole), spies):
            p.connection_made(spy)
        slow.data_received(b"GET /MAAS/ HTTP/1.1\r\nHost: x\r\n")  # never finishes its head
        whole.data_received(b"GET /MAAS/ HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.5)
        return spies[0].closed, spies[1].closed, spies[2].writes[0].startswith(b"HTTP/1.1 200")

    silent_closed, slow_closed, answered = asyncio.run(scenario())
    assert silent_closed and slow_closed and answered


def test_connections_beyond_the_cap_are_refused_with_one_log_line(monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(connections, "MAX_CONNECTIONS", 2)

    async def scenario() -> list[bool]:
        state = ServerState()
        spies = [SpyTransport() for _ in range(5)]
        for spy in spies:
            protocol(state).connection_made(spy)
        return [spy.closed for spy in spies]

    with caplog.at_level("WARNING", logger="ironworks.http"):
        assert asyncio.run(scenario()) == [False, False, True, True, True]
    lines = [r.getMessage() for r in caplog.records if "connection cap reached" in r.getMessage()]
    assert len(lines) == 1, lines


def test_a_real_region_closes_a_silent_connection_and_keeps_serving(region: Region) -> None:
    silent = socket.create_connection(("127.0.0.1", region.port), timeout=30)
    silent.sendall(b"GET /MAAS/api/2.0/version/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # head never ends
    started = time.monotonic()
    assert silent.recv(1) == b""  # closed by the region, with nothing sent
    waited = time.monotonic() - started
    assert connections.HEAD_TIMEOUT_S - 1 < waited < connections.HEAD_TIMEOUT_S + 5, waited
    silent.close()
    assert region.client().get("users/", op="whoami").status_code == 200
