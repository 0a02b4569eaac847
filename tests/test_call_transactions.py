"""An operation that waits (for a rack, say) commits its intent and gives its pooled connection
back first; one that fails keeps nothing.  Dispatch runs on a real PostgreSQL here, with a
one-connection pool, so a held connection would block the second request."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from ironworks.db.connect import Target, async_engine
from ironworks.lab.harness import DB_PASSWORD, Cluster
from ironworks.region.api.context import Call
from ironworks.region.api.dispatch import dispatch
from ironworks.region.api.operations import Handler

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def engine(cluster: Cluster) -> AsyncIterator:
    dbname = cluster.new_database()
    cluster.sql(dbname, "CREATE TABLE intent (id serial PRIMARY KEY, what text NOT NULL)")
    engine = async_engine(Target("127.0.0.1", cluster.pg.port, dbname, "maas", DB_PASSWORD), pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()


def client_for(handler: Handler, engine) -> httpx.AsyncClient:  # noqa: ANN001
    async def endpoint(request: Request):  # noqa: ANN202
        return await dispatch(handler, request, engine)

    app = Starlette(routes=[Route(handler.full_path, endpoint, methods=["GET", "POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://region")


async def test_a_released_operation_waits_without_a_connection_and_its_intent_is_committed(engine) -> None:  # noqa: ANN001
    waiting, go_on = asyncio.Event(), asyncio.Event()
    handler = Handler("WaitHandler", "wait/", "test", anon=True)

    @handler.action("start", method="POST")
    async def start(call: Call) -> dict:
        await call.conn.execute(text("INSERT INTO intent (what) VALUES ('power on')"))
        await call.release()
        waiting.set()
        await go_on.wait()  # e.g. a rack finishing the job
        async with call.transaction() as conn:
            await conn.execute(text("UPDATE intent SET what = 'power on: done'"))
        return {"ok": True}

    @handler.action("peek", method="GET")
    async def peek(call: Call) -> list:
        return list((await call.conn.execute(text("SELECT what FROM intent"))).scalars())

    async with client_for(handler, engine) as client:
        first = asyncio.create_task(client.post("/MAAS/api/2.0/wait/", params={"op": "start"}))
        await asyncio.wait_for(waiting.wait(), 10)
        assert engine.pool.checkedout() == 0
        # The only pooled connection is free, and the intent is visible to another request.
        seen = await asyncio.wait_for(client.get("/MAAS/api/2.0/wait/", params={"op": "peek"}), 10)
        assert seen.json() == ["power on"]
        go_on.set()
        response = await asyncio.wait_for(first, 10)
        assert response.status_code == 200 and response.json() == {"ok": True}
        assert response.headers["X-Ironworks-Queries"] == "2"
        assert (await client.get("/MAAS/api/2.0/wait/", params={"op": "peek"})).json() == ["power on: done"]


async def test_a_failed_operation_keeps_nothing_and_returns_its_connection(engine) -> None:  # noqa: ANN001
    handler = Handler("FailHandler", "fail/", "test", anon=True)

    @handler.action("create")
    async def create(call: Call) -> None:
        await call.conn.execute(text("INSERT INTO intent (what) VALUES ('half done')"))
        raise RuntimeError("boom")

    async with client_for(handler, engine) as client:
        response = await client.post("/MAAS/api/2.0/fail/")
        assert response.status_code == 500 and "Traceback" not in response.text
    assert engine.pool.checkedout() == 0
    async with engine.connect() as conn:
        assert (await conn.scalar(text("SELECT count(*) FROM intent"))) == 0
