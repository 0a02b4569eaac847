"""`/MAAS/accounts/authenticate/`: username and password for an API token (python-libmaas login)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ironworks.region.api.body import parse_body
from ironworks.region.api.dispatch import (
    database_unavailable,
    database_unavailable_error,
    error_response,
    json_response,
    text_response,
)
from ironworks.region.api.errors import APIError
from ironworks.region.services.accounts import users as svc
from ironworks.region.services.accounts.throttle import LoginThrottle

# Per worker process; keyed by the peer address (behind HAProxy, the proxy's).
LOGIN_THROTTLE = LoginThrottle()


async def authenticate(request: Request) -> Response:
    try:
        form = parse_body(request.headers.get("content-type", ""), await request.body())
    except APIError as error:
        return text_response(error.message, error.status)
    username, password = form.get("username") or "", form.get("password") or ""
    consumer = form.get("consumer") or "api"
    source = request.client.host if request.client else ""
    wait_s = LOGIN_THROTTLE.retry_after(source)
    if wait_s is not None:
        return text_response(f"Too many failed logins from {source}; try again in {wait_s} seconds.",
                             429, {"Retry-After": str(wait_s)})
    engine = request.app.state.engine
    try:
        async with engine.connect() as conn:
            found = await svc.login_hash(conn, username)
        # With no pooled connection held: the hash takes ~0.2 s (also for an unknown user).
        if not await svc.password_matches(password, found) or found is None:
            LOGIN_THROTTLE.failed(source)
            return Response(status_code=403)
        async with engine.begin() as conn:
            await svc.record_login(conn, found[0])
            token = await svc.token_for_consumer(conn, found[0], consumer)
    except Exception as exc:
        if database_unavailable(exc):
            return error_response(database_unavailable_error())
        raise
    return json_response({**token, "name": consumer})
