"""Admission control: a worker takes on only as many database-bound requests as it can serve
promptly, and answers the rest at once with 503 + Retry-After instead of letting them queue for
a pooled connection until they time out as 500s.

A worker holds POOL_SIZE connections; requests beyond what the pool can serve wait in a short
queue (they will get a connection within about a request's time), and beyond that queue the
answer is an immediate 503 — cheap for the region, and a clear "come back" for clients and
HAProxy (which re-dispatches idempotent requests).  Paths that never touch the request pool
are exempt: racks and HAProxy must always be able to read /MAAS/rpc/ and /MAAS/health/.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

RETRY_AFTER_S = 1
EXEMPT_PREFIXES = ("/MAAS/rpc/", "/MAAS/health/", "/MAAS/api/2.0/describe/", "/MAAS/api/version/")
BUSY = b"The region is busy; retry shortly."


class AdmissionControl:
    def __init__(self, app: ASGIApp, max_in_flight: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.refused = 0  # since start; read by tests and the overload benchmark's logs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            self.refused += 1
            await _busy(send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def _busy(send: Send) -> None:
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(BUSY)).encode()),
        (b"retry-after", str(RETRY_AFTER_S).encode()),
    ]})
    await send({"type": "http.response.body", "body": BUSY})
