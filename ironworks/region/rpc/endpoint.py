"""The region end of a rack's channel: `GET /MAAS/rpc/rack` upgraded to a WebSocket.

Handshake first (common/protocol/messages.py): the region proves the shared secret, the rack
proves it back, then the rack's identity is checked (another cluster's rack, a deleted rack) —
each refusal is one log line here and a `refused` message the rack logs.  Then the rack's calls
run concurrently (a few at a time per rack) and each gets a `result` or an `error` reply."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.websockets import WebSocket, WebSocketDisconnect

from ironworks import __version__
from ironworks.common.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    Refused,
    Unavailable,
)
from ironworks.common.logs import first_line
from ironworks.common.protocol import auth
from ironworks.common.protocol import messages as m
from ironworks.db import tables as t
from ironworks.region.rpc.methods import METHODS, UNREGISTERED_ALLOWED, CallContext
from ironworks.region.rpc.session import RackSession

log = logging.getLogger("ironworks.rpc")

CALLS_PER_RACK = 8  # concurrent calls one rack may have running here


class QuietRackAccepts(logging.Filter):
    """Drops uvicorn's '"WebSocket /MAAS/rpc/rack" [accepted]' line: the channel logs each rack
    by name once it is known (a hundred racks reconnecting would otherwise double the log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg == '%s - "WebSocket %s" [accepted]' and len(record.args or ()) == 2
                    and str(record.args[1]).startswith(m.PATH))  # type: ignore[index]


class HandshakeRefused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


async def rack_channel(ws: WebSocket) -> None:
    runtime = ws.app.state.runtime
    remote = f"{ws.client.host}:{ws.client.port}" if ws.client else "?"
    await ws.accept()
    session = RackSession(ws, remote)
    try:
        async with asyncio.timeout(m.HANDSHAKE_TIMEOUT_S):
            await _handshake(session, runtime)
    except HandshakeRefused as refused:
        log.warning("refused rack %s: %s", session.label, refused)
        try:
            await session.send({"type": m.REFUSED, "reason": refused.reason, "message": str(refused)})
        except Exception:
            pass
        await session.close(m.CLOSE_REFUSED, refused.reason)
        return
    except Exception as exc:  # a silent or garbled peer, or the database failing: it retries
        log.info("rack connection from %s ended during the handshake (%s)", remote,
                 first_line(exc) or type(exc).__name__)
        await runtime.hub.detach(session)
        await session.close(m.CLOSE_REFUSED, "handshake")
        return
    log.info("rack %s connected", session.label)
    try:
        await _serve(session, runtime)
    finally:
        await runtime.hub.detach(session)
        log.info("rack %s disconnected", session.label)


async def _handshake(session: RackSession, runtime) -> None:  # noqa: ANN001
    identity = runtime.cluster
    secret = auth.parse_secret(identity.secret)
    hello = m.decode(await session.ws.receive_text())
    if hello["type"] != m.HELLO or hello.get("protocol") != m.PROTOCOL or not isinstance(hello.get("nonce"), str):
        raise HandshakeRefused(m.REFUSED_PROTOCOL, f"unsupported rack channel protocol {hello.get('protocol')!r} "
                               f"(this region speaks {m.PROTOCOL}); upgrade the rack to this region's version")
    nonce = auth.new_nonce()
    await session.send({"type": m.CHALLENGE, "nonce": nonce,
                        "proof": auth.proof(secret, "region", nonce, hello["nonce"])})
    reply = m.decode(await session.ws.receive_text())
    if reply["type"] != m.PROOF or not auth.verify(secret, "rack", hello["nonce"], nonce, reply.get("proof")):
        raise HandshakeRefused(m.REFUSED_SECRET, "the rack did not prove the shared secret: its secret file "
                               "differs from this cluster's; on the rack, run `maas-rack register` with the "
                               "secret this region prints (`maas-region rack-register-command`)")
    session.hostname = str(reply.get("hostname") or "")[:255]
    system_id = reply.get("system_id") or None
    claimed_cluster = reply.get("cluster_uuid") or None
    if claimed_cluster is not None and claimed_cluster != identity.uuid:
        raise HandshakeRefused(m.REFUSED_OTHER_CLUSTER, f"the rack is registered with another MAAS (cluster "
                               f"{claimed_cluster}, this is {identity.uuid}); a rack never moves between "
                               "MAAS instances by itself: run `maas-rack register` to register it here")
    if system_id is not None:
        async with runtime.engine.connect() as conn:
            node_id = await conn.scalar(select(t.node.c.id).where(t.node.c.system_id == str(system_id)))
        session.system_id = str(system_id)
        if node_id is None:
            raise HandshakeRefused(m.REFUSED_DELETED, f"the rack's identity {system_id} was deleted from this "
                                   "MAAS; run `maas-rack register` to register it again")
        session.node_id = node_id
    await session.send({"type": m.WELCOME, "cluster_uuid": identity.uuid, "attached": session.node_id is not None,
                        "region": {"system_id": runtime.system_id, "hostname": runtime.hostname,
                                   "version": __version__}})
    rack_version = reply.get("version")
    if rack_version and rack_version != __version__:
        log.info("rack %s runs version %s, this region %s", session.label, rack_version, __version__)
    if session.node_id is not None:
        await runtime.hub.attach(session)


async def _serve(session: RackSession, runtime) -> None:  # noqa: ANN001
    ctx = CallContext(runtime.engine, session, runtime.hostname, runtime.cluster.uuid)
    slots = asyncio.Semaphore(CALLS_PER_RACK)
    tasks: set[asyncio.Task] = set()
    try:
        while True:
            try:
                text = await session.ws.receive_text()
            except (WebSocketDisconnect, RuntimeError):
                return
            try:
                message = m.decode(text)
            except ValueError as exc:
                log.warning("rack %s sent a bad message (%s); ignored", session.label, exc)
                continue
            if message["type"] != m.CALL:
                continue
            await slots.acquire()
            task = asyncio.create_task(_call(ctx, runtime, message))
            tasks.add(task)
            task.add_done_callback(lambda done: (tasks.discard(done), slots.release()))
    finally:
        for task in tasks:
            task.cancel()


async def _call(ctx: CallContext, runtime, message: dict) -> None:  # noqa: ANN001
    call_id, name = message.get("id"), message.get("method")
    params = message.get("params") or {}
    try:
        fn = METHODS.get(name)  # type: ignore[arg-type]
        if fn is None:
            raise InvalidInput(f"unknown method {name!r}")
        if ctx.session.node_id is None and name not in UNREGISTERED_ALLOWED:
            raise Refused("this rack is not registered on this connection: call register first")
        if not isinstance(params, dict):
            raise InvalidInput("params must be an object")
        result = await fn(ctx, params)
        if name == "register" and ctx.session.node_id is None:
            ctx.session.system_id, ctx.session.node_id = result["system_id"], result["node_id"]
            try:
                await runtime.hub.attach(ctx.session)
            except Exception:
                ctx.session.node_id = None  # not counted as connected: the rack registers again
                raise
        reply = {"type": m.RESULT, "id": call_id, "result": result}
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        reply = {"type": m.ERROR, "id": call_id, "error": _error(exc, ctx.session, name)}
    try:
        await ctx.session.send(reply)
    except Exception:
        pass  # the rack is gone; it retries the call elsewhere


def _error(exc: Exception, session: RackSession, name: object) -> dict:
    kinds = ((InvalidInput, m.ERROR_INVALID), (NotFound, m.ERROR_NOT_FOUND), (Refused, m.ERROR_REFUSED),
             (Conflict, m.ERROR_REFUSED), (Unavailable, m.ERROR_UNAVAILABLE))
    for cls, kind in kinds:
        if isinstance(exc, cls):
            return {"kind": kind, "message": str(exc)}
    if isinstance(exc, PoolTimeout):  # no pooled connection came free in time: busy, as the API's 503
        return {"kind": m.ERROR_UNAVAILABLE, "message": "the region is busy; retry shortly"}
    if isinstance(exc, DBAPIError):
        return {"kind": m.ERROR_UNAVAILABLE, "message": f"the database failed: {first_line(exc)}"}
    if isinstance(exc, DomainError):
        return {"kind": m.ERROR_REFUSED, "message": str(exc)}
    log.exception("rack %s: call %s failed", session.label, name)
    return {"kind": m.ERROR_INTERNAL, "message": f"the region failed: {type(exc).__name__}"}
