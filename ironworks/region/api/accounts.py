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


async def authenticate(request: Request) -> Response:
    try:
        form = parse_body(request.headers.get("content-type", ""), await request.body())
    except APIError as error:
        return text_response(error.message, error.status)
    username, password = form.get("username") or "", form.get("password") or ""
    consumer = form.get("consumer") or "api"
    try:
        async with request.app.state.engine.begin() as conn:
            user = await svc.verify_credentials(conn, username, password)
            if user is None:
                return Response(status_code=403)
            token = await svc.token_for_consumer(conn, user["id"], consumer)
    except Exception as exc:
        if database_unavailable(exc):
            return error_response(database_unavailable_error())
        raise
    return json_response({**token, "name": consumer})
