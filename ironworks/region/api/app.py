"""The region's HTTP application: the 2.0 API, describe, accounts, and a landing page."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute

from ironworks.common.protocol import messages as rack_protocol
from ironworks.db.connect import POOL_SIZE, async_engine
from ironworks.region.api import accounts
from ironworks.region.api.admission import AdmissionControl
from ironworks.region.api.describe import api_hash, describe
from ironworks.region.api.dispatch import dispatch, failure_response, text_response
from ironworks.region.api.operations import API_PREFIX, Handler
from ironworks.region.api.resources import HANDLERS
from ironworks.region.config import Paths, database_target, load
from ironworks.region.rpc.endpoint import QuietRackAccepts, rack_channel
from ironworks.region.runtime import RegionRuntime

HEALTH_PATH = "/MAAS/health/"
# Requests a worker takes on per pooled connection; the rest are answered 503 at once.
ADMITTED_PER_CONNECTION = 4
HEALTH_TIMEOUT_S = 2.0

# Our dispatcher answers 405 itself (with the handler's Allow list), so routes take every method.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


def base_url(request: Request) -> str:
    """scheme://host as the client reached us, honouring a proxy's X-Forwarded-* headers."""
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    host = request.headers.get("x-forwarded-host") or request.headers.get("host") or request.url.netloc
    return f"{proto}://{host.split(',')[0].strip()}"


def _handler_route(handler: Handler) -> Route:
    async def endpoint(request: Request) -> Response:
        return await dispatch(handler, request, request.app.state.engine)

    return Route(handler.full_path, endpoint, methods=ALL_METHODS, name=handler.name)


async def describe_view(request: Request) -> Response:
    doc = describe(HANDLERS, base_url(request))
    # maascli compares the content type for equality: no charset parameter here.
    return Response(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS), media_type="application/json")


async def unknown_endpoint(request: Request) -> Response:
    return text_response(f"Unknown API endpoint: {request.url.path}.", 404)


async def old_api(request: Request) -> Response:
    return text_response("The 1.0 API is no longer available. Please use API version 2.0.", 410)


async def api_version(request: Request) -> Response:
    return text_response("2.0")


async def landing(request: Request) -> Response:
    name = request.app.state.region_name
    return HTMLResponse(
        f"<!doctype html><title>{name} — ironworks</title><h1>ironworks region</h1>"
        f"<p>The MAAS 2.0 API is at <a href='{API_PREFIX}describe/'>{API_PREFIX}</a>. "
        "Log in with <code>maas login PROFILE URL API_KEY</code>.</p>"
    )


async def rpc_view(request: Request) -> Response:
    """Every live region process and its endpoints, for racks to find all regions."""
    return Response(orjson.dumps(request.app.state.runtime.directory.document),
                    media_type="application/json")


async def health_view(request: Request) -> Response:
    """For HAProxy: 200 only when this region can serve (a writable database accepts a new
    connection: during a smart shutdown pooled sessions still work while new ones are refused).
    At most one new connection a second per process (RegionRuntime.database_health)."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            probe = await request.app.state.runtime.database_health()
    except TimeoutError:
        return _unavailable("the database did not answer in time")
    except Exception as exc:
        answer = failure_response(exc, f"GET {HEALTH_PATH}")
        # Whatever failed, this region cannot show it serves: HAProxy must hear 503.
        return answer if answer.status_code == 503 else _unavailable("the database check failed")
    if not probe.ok:
        return _unavailable(probe.reason)
    return text_response("OK")


def _unavailable(reason: str) -> Response:
    return text_response(f"unavailable: {reason}", 503, {"Retry-After": "5"})


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    paths = Paths.from_env()
    config = load(paths)
    target = database_target(config, paths.data)
    app.state.engine = async_engine(target)
    app.state.runtime = RegionRuntime(config, paths.data, target, app.state.engine)
    await app.state.runtime.start()
    try:
        yield
    finally:
        await app.state.runtime.stop()
        await app.state.engine.dispose()


def create_app() -> Starlette:
    logging.getLogger("uvicorn.error").addFilter(QuietRackAccepts())
    api_digest = api_hash(HANDLERS)
    routes = [
        Route(API_PREFIX + "describe/", describe_view, methods=["GET"]),
        *(_handler_route(h) for h in HANDLERS),
        Route(API_PREFIX + "{rest:path}", unknown_endpoint, methods=ALL_METHODS),
        Route("/MAAS/api/version/", api_version, methods=["GET"]),
        Route("/MAAS/api/1.0/{rest:path}", old_api, methods=ALL_METHODS),
        Route("/MAAS/accounts/authenticate/", accounts.authenticate, methods=["POST"]),
        Route("/MAAS/rpc/", rpc_view, methods=["GET"]),
        WebSocketRoute(rack_protocol.PATH, rack_channel),
        Route(HEALTH_PATH, health_view, methods=["GET", "HEAD"]),
        Route("/MAAS/", landing, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.region_name = "ironworks"
    app.add_middleware(APIHashHeader, digest=api_digest)
    app.add_middleware(AdmissionControl, max_in_flight=POOL_SIZE * ADMITTED_PER_CONNECTION)
    return app


class APIHashHeader:
    """Puts X-MAAS-API-Hash on every API response (maascli warns when it differs from its
    stored describe hash)."""

    def __init__(self, app, digest: str) -> None:  # noqa: ANN001
        self.app = app
        self.header = (b"x-maas-api-hash", digest.encode())

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_hash(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_hash)
