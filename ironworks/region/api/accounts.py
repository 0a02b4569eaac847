"""`/MAAS/accounts/authenticate/`: username and password for an API token (python-libmaas login)."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc
from starlette.requests import Request
from starlette.responses import Response

from ironworks.db import tables as t
from ironworks.region.api.body import read_params, refuse_nul
from ironworks.region.api.dispatch import failure_response, json_response
from ironworks.region.api.errors import BadRequest
from ironworks.region.services.accounts import users as svc

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
        async with request.app.state.engine.begin() as conn:
            user = await svc.verify_credentials(conn, username, password)
            if user is None:
                return Response(status_code=403)
            token = await svc.token_for_consumer(conn, user["id"], consumer)
    except sa_exc.IntegrityError:
        return Response(status_code=403)  # the user was deleted while logging in
    except Exception as exc:
        return failure_response(exc, "POST /MAAS/accounts/authenticate/")
    return json_response({**token, "name": consumer})
