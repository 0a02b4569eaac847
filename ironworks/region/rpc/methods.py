"""The calls a rack makes over its channel.  Each is idempotent (a rack retries a call on
another region when the one it asked dies mid-call), runs in one transaction, and raises domain
errors (common/errors.py) that the endpoint turns into error replies."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from ironworks.common.errors import InvalidInput, Refused
from ironworks.common.protocol.interfaces import InterfaceReport
from ironworks.region.rpc.session import RackSession
from ironworks.region.services.controllers import racks


@dataclass
class CallContext:
    engine: AsyncEngine
    session: RackSession
    region_hostname: str
    cluster_uuid: str


Method = Callable[[CallContext, dict], Awaitable[Any]]
METHODS: dict[str, Method] = {}
UNREGISTERED_ALLOWED = {"register", "ping"}


def method(name: str) -> Callable[[Method], Method]:
    def add(fn: Method) -> Method:
        METHODS[name] = fn
        return fn
    return add


def _parse(model: type[BaseModel], params: dict) -> Any:
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        raise InvalidInput(f"{where}: {first['msg']}") from None


class RegisterParams(BaseModel):
    hostname: str
    system_id: str | None = None
    version: str = ""
    interfaces: list[InterfaceReport] = []


class InterfacesParams(BaseModel):
    interfaces: list[InterfaceReport]


class ServicesParams(BaseModel):
    services: dict[str, tuple[str, str]]


def _node_id(ctx: CallContext) -> int:
    if ctx.session.node_id is None:
        raise Refused("this rack is not registered on this connection: call register first")
    return ctx.session.node_id


@method("ping")
async def ping(ctx: CallContext, params: dict) -> dict:
    """No database: for measuring the channel itself."""
    return {"region": ctx.region_hostname, "time": time.time()}


@method("register")
async def register(ctx: CallContext, params: dict) -> dict:
    p: RegisterParams = _parse(RegisterParams, params)
    async with ctx.engine.begin() as conn:
        done = await racks.register_rack(conn, system_id=p.system_id, hostname=p.hostname,
                                         interfaces=p.interfaces, version=p.version)
    return {"system_id": done.system_id, "node_id": done.node_id, "created": done.created,
            "cluster_uuid": ctx.cluster_uuid}


@method("report_interfaces")
async def report_interfaces(ctx: CallContext, params: dict) -> dict:
    p: InterfacesParams = _parse(InterfacesParams, params)
    async with ctx.engine.begin() as conn:
        await racks.update_rack_interfaces(conn, _node_id(ctx), p.interfaces)
    return {}


@method("report_services")
async def report_services(ctx: CallContext, params: dict) -> dict:
    p: ServicesParams = _parse(ServicesParams, params)
    async with ctx.engine.begin() as conn:
        await racks.report_services(conn, _node_id(ctx), dict(p.services))
    return {}
