"""One region host as the rack sees it: connect to one of its endpoints, prove the secret both
ways, then carry calls and the region's pushes until the connection ends; reconnect with
backoff.  A refusal the rack cannot cure by retrying (a deleted identity, another cluster) is
reported to the channel as fatal; a wrong secret is retried slowly (the operator may fix the
secret file, which is read again on every attempt)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ironworks.common.logs import first_line, log_throttled
from ironworks.common.protocol import auth
from ironworks.common.protocol import messages as m

if TYPE_CHECKING:
    from ironworks.rack.channel import Channel

log = logging.getLogger("ironworks.rack.channel")

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 10.0
WRONG_SECRET_RETRY_S = 30.0


class LinkLost(Exception):
    """The connection ended before the call's answer came."""


class RemoteError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ChannelRefused(Exception):
    """A region refused this rack for a reason retrying cannot cure."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class _RetryLater(Exception):
    def __init__(self, delay: float) -> None:
        self.delay = delay


class RegionLink:
    def __init__(self, channel: Channel, hostname: str, endpoints: list[tuple[str, int]]) -> None:
        self.channel = channel
        self.hostname = hostname
        self.endpoints = endpoints
        self.ws: ClientConnection | None = None
        self.ready = False  # handshake done (and registered, when the welcome asked for it)
        self.pending: dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"<region {self.hostname}>"

    async def run(self) -> None:
        delay = BACKOFF_FIRST_S
        while True:
            try:
                await self._connect_and_serve()
                delay = BACKOFF_FIRST_S  # it was up: the next try is quick
            except asyncio.CancelledError:
                raise
            except _RetryLater as later:
                await asyncio.sleep(later.delay)
                continue
            except ChannelRefused as refused:
                log.error("region %s refused this rack: %s", self.hostname, refused)
                self.channel.fatal(refused)
                return
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, InvalidURI, ValueError,
                    LinkLost, RemoteError) as exc:  # RemoteError: registering on this link failed
                log_throttled(log, f"{self.hostname}:{type(exc).__name__}",
                              "cannot reach region %s (%s); retrying", self.hostname,
                              first_line(exc) or type(exc).__name__)
            except Exception:  # a bug: say so, but never leave this region unwatched for good
                log.exception("the link to region %s failed; retrying", self.hostname)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, BACKOFF_MAX_S)

    async def _connect_and_serve(self) -> None:
        ws = None
        errors: list[str] = []
        for address, port in list(self.endpoints):
            try:
                ws = await connect(m.ws_url(address, port), proxy=None, compression=None,
                                   open_timeout=m.HANDSHAKE_TIMEOUT_S, ping_interval=m.PING_INTERVAL_S,
                                   ping_timeout=m.PING_TIMEOUT_S, max_size=m.MAX_MESSAGE_BYTES,
                                   close_timeout=2)
                # the address that worked first, next time
                self.endpoints = [(address, port)] + [e for e in self.endpoints if e != (address, port)]
                break
            except (OSError, TimeoutError, InvalidHandshake) as exc:
                errors.append(f"{address}:{port}: {first_line(exc) or type(exc).__name__}")
        if ws is None:
            raise OSError("; ".join(errors) or "no endpoint")
        self.ws = ws
        reader = None
        try:
            async with asyncio.timeout(m.HANDSHAKE_TIMEOUT_S):
                welcome = await self._handshake(ws)
            reader = asyncio.create_task(self._read(ws))
            await self.channel.on_welcome(self, welcome)
            self.ready = True
            self.channel.link_changed()
            log.info("connected to region %s", self.hostname)
            await reader
        finally:
            was_ready, self.ready, self.ws = self.ready, False, None
            if reader is not None:
                reader.cancel()
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(LinkLost(f"the connection to region {self.hostname} was lost"))
            self.pending.clear()
            await ws.close()
            if was_ready:
                log.warning("lost the connection to region %s", self.hostname)
                self.channel.link_changed()

    async def _handshake(self, ws: ClientConnection) -> dict:
        identity = self.channel.identity
        secret = identity.secret()
        if secret is None:
            raise ChannelRefused(m.REFUSED_SECRET, "this rack has no shared secret: run `maas-rack register`")
        nonce = auth.new_nonce()
        await ws.send(m.encode({"type": m.HELLO, "protocol": m.PROTOCOL, "nonce": nonce}))
        challenge = m.decode(await ws.recv())
        if challenge["type"] == m.REFUSED:
            raise self._refusal(challenge)
        region_ok = auth.verify(secret, "region", challenge.get("nonce", ""), nonce, challenge.get("proof"))
        await ws.send(m.encode({
            "type": m.PROOF, "proof": auth.proof(secret, "rack", nonce, str(challenge.get("nonce", ""))),
            "system_id": identity.system_id(), "cluster_uuid": identity.cluster_uuid(),
            "hostname": identity.hostname, "version": identity.version}))
        if not region_ok:
            log.error("region %s did not prove the shared secret: this rack's secret differs from the "
                      "cluster's; run `maas-rack register` with the secret `maas-region "
                      "rack-register-command` prints (retrying in %.0f s)", self.hostname, WRONG_SECRET_RETRY_S)
            raise _RetryLater(WRONG_SECRET_RETRY_S)
        answer = m.decode(await ws.recv())
        if answer["type"] == m.REFUSED:
            raise self._refusal(answer)
        if answer["type"] != m.WELCOME:
            raise ValueError(f"unexpected {answer['type']!r} during the handshake")
        return answer

    def _refusal(self, message: dict) -> Exception:
        reason, text = message.get("reason", ""), message.get("message", "refused")
        if reason == m.REFUSED_SECRET:
            log.error("region %s refused this rack: %s (retrying in %.0f s)", self.hostname, text,
                      WRONG_SECRET_RETRY_S)
            return _RetryLater(WRONG_SECRET_RETRY_S)
        return ChannelRefused(reason, text)

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for text in ws:
                try:
                    message = m.decode(text)
                except ValueError:
                    continue
                kind = message["type"]
                if kind in (m.RESULT, m.ERROR):
                    future = self.pending.pop(message.get("id"), None)
                    if future is not None and not future.done():
                        if kind == m.RESULT:
                            future.set_result(message.get("result"))
                        else:
                            error = message.get("error") or {}
                            future.set_exception(RemoteError(error.get("kind", m.ERROR_INTERNAL),
                                                             error.get("message", "")))
                elif kind == m.STOP:
                    self.channel.fatal(ChannelRefused(message.get("reason", m.REFUSED_DELETED),
                                                      message.get("message", "stopped by the region")))
                else:
                    await self.channel.on_push(message)
        except ConnectionClosed:
            pass

    async def call(self, method: str, params: dict, timeout: float) -> Any:
        ws = self.ws
        if ws is None:
            raise LinkLost(f"not connected to region {self.hostname}")
        call_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[call_id] = future
        try:
            await ws.send(m.encode({"type": m.CALL, "id": call_id, "method": method, "params": params}))
        except ConnectionClosed as exc:
            self.pending.pop(call_id, None)
            raise LinkLost(str(exc)) from None
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self.pending.pop(call_id, None)
            raise LinkLost(f"region {self.hostname} did not answer {method} in time") from None
