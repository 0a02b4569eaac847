"""`/MAAS/accounts/authenticate/`: username and password for an API token (python-libmaas login)."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc
from starlette.requests import Request
from starlette.responses import Response

from ironworks.db import tables as t
from ironworks.region.api.body import read_params, refuse_nul
from ironworks.region.api.dispatch import failure_response, json_response, text_response
from ironworks.region.api.errors import BadRequest
from ironworks.region.services.accounts import users as svc
from ironworks.region.services.accounts.throttle import LoginThrottle

# Per worker process; keyed by the peer address and the username.
LOGIN_THROTTLE = LoginThrottle()

# A login is three short fields: anything bigger is not one, and nobody is authenticated yet.
MAX_LOGIN_BODY = 64 * 1024
MAX_CONSUMER = t.api_token.c.name.type.length  # the token's name column


async def authenticate(request: Request) -> Response:
    try:
        form = await read_params(request, MAX_LOGIN_BODY)
        refuse_nul(form, {})
        username, password = form.get("username") or "", form.get("password") or ""
        consumer = form.get("consumer") or "api"
        if len(consumer) > MAX_CONSUMER:
            raise BadRequest(f"The consumer name is too long (at most {MAX_CONSUMER} characters).")
        # Failures count per address *and* username: behind HAProxy every client has the
        # proxy's address, and one guesser must not lock every user out.
        key = f"{request.client.host if request.client else ''} {username}"
        wait_s = LOGIN_THROTTLE.retry_after(key)
        if wait_s is not None:
            return text_response(f"Too many failed logins for {username!r} from this address; try again "
                                 f"in {wait_s} seconds.", 429, {"Retry-After": str(wait_s)})
        engine = request.app.state.engine
        async with engine.connect() as conn:
            found = await svc.login_hash(conn, username)
        # With no pooled connection held: the hash takes ~0.2 s (also for an unknown user).
        if not await svc.password_matches(password, found) or found is None:
            LOGIN_THROTTLE.failed(key)
            return Response(status_code=403)
        async with engine.begin() as conn:
            await svc.record_login(conn, found[0])
            token = await svc.token_for_consumer(conn, found[0], consumer)
    except sa_exc.IntegrityError:
        return Response(status_code=403)  # the user was deleted while logging in
    except Exception as exc:
        return failure_response(exc, "POST /MAAS/accounts/authenticate/")
    return json_response({**token, "name": consumer})
