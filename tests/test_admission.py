"""Overload is a quick 503 with Retry-After, never a queue that ends in 500s: admission control
per worker (region/api/admission.py) and a bounded wait for a pooled connection (dispatch)."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ironworks.db import connect
from ironworks.db.connect import Target, async_engine
from ironworks.lab.harness import DB_PASSWORD, Cluster
from ironworks.region.api.admission import AdmissionControl
from ironworks.region.api.context import Call
from ironworks.region.api.dispatch import dispatch
from ironworks.region.api.operations import Handler

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_requests_beyond_the_admitted_number_get_503_at_once_and_exempt_paths_still_answer() -> None:
    release = asyncio.Event()
    started = 0

    async def slow(request: Request) -> PlainTextResponse:
        nonlocal started
        started += 1
        await release.wait()
        return PlainTextResponse("done")

    async def rpc(request: Request) -> PlainTextResponse:
        return PlainTextResponse("{}")

    inner = Starlette(routes=[Route("/MAAS/api/2.0/machines/", slow), Route("/MAAS/rpc/", rpc)])
    admission = AdmissionControl(inner, max_in_flight=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=admission), base_url="http://r") as client:
        held = [asyncio.create_task(client.get("/MAAS/api/2.0/machines/")) for _ in range(2)]
        while started < 2:
            await asyncio.sleep(0.01)
        busy = await asyncio.wait_for(client.get("/MAAS/api/2.0/machines/"), 2)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        assert "busy" in busy.text
        assert (await asyncio.wait_for(client.get("/MAAS/rpc/"), 2)).status_code == 200
        release.set()
        assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
        assert (await client.get("/MAAS/api/2.0/machines/")).status_code == 200
    assert admission.refused == 1 and admission.in_flight == 0


@pytest.fixture
async def small_pool(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator:
    monkeypatch.setattr(connect, "POOL_WAIT_S", 0.3)
    engine = async_engine(Target("127.0.0.1", cluster.pg.port, cluster.new_database(), "maas", DB_PASSWORD),
                          pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_no_pooled_connection_in_time_is_503_with_retry_after_not_500(small_pool) -> None:  # noqa: ANN001
    hold, holding = asyncio.Event(), asyncio.Event()
    handler = Handler("BusyHandler", "busy/", "test", anon=True)

    @handler.action("read")
    async def read(call: Call) -> int:
        if call.params.get("hold"):
            holding.set()
            await hold.wait()
        return await call.conn.scalar(text("SELECT 1"))

    async def endpoint(request: Request):  # noqa: ANN202
        return await dispatch(handler, request, small_pool)

    app = Starlette(routes=[Route(handler.full_path, endpoint)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client:
        first = asyncio.create_task(client.get("/MAAS/api/2.0/busy/", params={"hold": "1"}))
        await asyncio.wait_for(holding.wait(), 5)
        second = await asyncio.wait_for(client.get("/MAAS/api/2.0/busy/"), 5)
        assert second.status_code == 503, second.text
        assert second.headers["Retry-After"] == "1" and "busy" in second.text
        hold.set()
        assert (await first).status_code == 200
