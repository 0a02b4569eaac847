"""From an HTTP request to an operation and back: route, (method, op) dispatch, authentication,
one database transaction per request, and MAAS-shaped errors (never a traceback)."""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

import orjson
import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from ironworks.common.errors import DomainError, InvalidInput, Unavailable
from ironworks.common.logs import log_throttled
from ironworks.region.api import auth
from ironworks.region.api.auth import User
from ironworks.region.api.body import Params, parse_query, read_params, refuse_nul
from ironworks.region.api.context import Call, statements_on
from ironworks.region.api.errors import (
    APIError,
    BadRequest,
    MethodNotAllowed,
    Unauthorized,
    headers_of,
    status_of,
)
from ironworks.region.api.operations import Action, Form, Handler

log = logging.getLogger("ironworks.api")

JSON_TYPE = "application/json; charset=utf-8"
NO_CONTENT_TYPE = "text/html; charset=utf-8"
BODY_METHODS = ("POST", "PUT", "DELETE")
QUERY_COUNT_HEADER = "X-Ironworks-Queries"
# Retry-After for a request that met no writable database (a PostgreSQL failover in progress).
# Regions write again within a second or two of a standby's promotion (tests/ha/
# test_pg_failover.py), so a longer hint would only make well-behaved clients stall.
DATABASE_RETRY_AFTER_S = 2


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=JSON_TYPE)


def text_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(text, status_code=status, media_type="text/plain; charset=utf-8", headers=headers)


def error_response(error: APIError | DomainError) -> Response:
    """The MAAS-shaped answer to a refusal: field errors as JSON, anything else as text."""
    if isinstance(error, InvalidInput):
        return Response(orjson.dumps(error.errors), status_code=400, media_type=JSON_TYPE)
    if isinstance(error, DomainError):
        return text_response(error.message, status_of(error), headers_of(error))
    return text_response(error.message, error.status, dict(error.headers))


_CONSTRAINT = re.compile(r'constraint "uq_(\w+?)_(\w+)"')


def integrity_error(exc: sa_exc.IntegrityError) -> APIError | DomainError:
    """A unique/foreign-key violation that slipped past a service's checks (e.g. a race)."""
    text = str(exc.orig)
    match = _CONSTRAINT.search(text)
    if match and "duplicate key" in text:
        table, column = match.groups()
        label = table.replace("_", " ").capitalize()
        return InvalidInput.field(column, f"{label} with this {column.replace('_', ' ')} already exists.")
    if "foreign key" in text:
        return BadRequest("The object refers to, or is referred to by, an object that does not exist or is still in use.")
    return BadRequest("The change conflicts with existing data.")


def database_unavailable(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, (psycopg.OperationalError, psycopg.errors.ReadOnlySqlTransaction,
                         psycopg.errors.AdminShutdown, psycopg.errors.CannotConnectNow)):
        return True
    return isinstance(exc, (sa_exc.DBAPIError,)) and bool(getattr(exc, "connection_invalidated", False))


def database_unavailable_error() -> Unavailable:
    return Unavailable("The database is unavailable; retry shortly.", DATABASE_RETRY_AFTER_S)


def choose_action(handler: Handler, method: str, op: str | None) -> Action:
    action = handler.actions.get((method, op))
    if action:
        return action
    if method not in handler.allowed_methods():
        raise MethodNotAllowed(handler.allowed_methods())
    raise BadRequest(f"Unrecognised signature: method={method} op={op}")


async def dispatch(handler: Handler, request: Request, engine: AsyncEngine) -> Response:
    method = request.method.upper()
    try:
        params = parse_query(request.url.query)
        user: User | None | _Later = LATER
        if method in BODY_METHODS and _has_body(request):
            user = await _user_before_body(handler, request, engine)
            params = params.merged(await read_params(request))
        refuse_nul(params, request.path_params)
        action = choose_action(handler, method, params.get("op") or None)
        return await _run(handler, action, request, engine, params, user)
    except Exception as exc:
        return failure_response(exc, f"{method} {request.url.path}")


def failure_response(exc: BaseException, where: str) -> Response:
    """The answer to a request that failed, for every path that touches the database (the API,
    /MAAS/accounts/authenticate/, /MAAS/health/): MAAS's status codes with a plain message,
    never a traceback nor PostgreSQL's own words."""
    if isinstance(exc, (APIError, DomainError)):
        return error_response(exc)
    if isinstance(exc, sa_exc.IntegrityError):
        return error_response(integrity_error(exc))
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time: busy
        return error_response(Unavailable("The region is busy; retry shortly.", 1))
    if database_unavailable(exc):
        cause = type(getattr(exc, "orig", exc)).__name__
        log_throttled(log, cause, "database unavailable (%s), e.g. during %s", cause, where)
        return error_response(database_unavailable_error())
    if isinstance(exc, sa_exc.DataError):  # a value the column type refuses: say so, not how
        return error_response(BadRequest("Invalid value: one of the values is not acceptable here "
                                         "(badly formed, out of range or too long)."))
    log.exception("unhandled error in %s", where)  # engines hide SQL parameters (db/connect.py)
    return text_response("Internal server error; the region logged the details.", 500)


def _has_body(request: Request) -> bool:
    headers = request.headers
    return "transfer-encoding" in headers or headers.get("content-length", "0") != "0"


class _Later:
    """The user is authenticated in the request's own transaction (no body to read first)."""


LATER = _Later()


async def _user_before_body(handler: Handler, request: Request, engine: AsyncEngine) -> User | None:
    """Who is asking, before the body is read: a stranger's body is never read or parsed.  No
    credentials need no database; others get a short connection of their own, so a slow upload
    holds none of the worker's few."""
    if auth.oauth_params(request.headers.get("authorization")) is None:
        return _user_or_refuse(handler, None)
    async with engine.begin() as conn:  # commits the nonce: a replayed body request is refused
        return await _user(handler, conn, request)


def _user_or_refuse(handler: Handler, user: User | None) -> User | None:
    if user is None and not handler.anon:
        raise Unauthorized("Authorization Error: this call needs an API key (OAuth PLAINTEXT).")
    return user


async def _user(handler: Handler, conn: AsyncConnection, request: Request) -> User | None:
    safe = auth.safe_request_key(request.method.upper(), request.url.path, request.url.query)
    return _user_or_refuse(handler, await auth.authenticate(conn, request.headers.get("authorization"), safe))


async def _run(handler: Handler, action: Action, request: Request, engine: AsyncEngine,
               params: Params, user: User | None | _Later) -> Response:
    conn = await engine.connect()
    call = Call(request, conn, None, dict(request.path_params), params, engine)
    try:
        await conn.begin()
        call.statements = -await statements_on(conn)
        call.user = await _user(handler, conn, request) if isinstance(user, _Later) else user
        if action.admin:
            call.require_admin()
        if action.form is not None:
            result = await action.func(call, await _form(handler, action, call, params))
        else:
            result = await action.func(call)
        await call.release()  # one transaction per request, unless the operation released it
    finally:
        if call.conn is not None:  # failed: nothing of it is kept
            with contextlib.suppress(Exception):
                await call.conn.close()
    if isinstance(result, Response):
        response = result
    elif result is None:
        # MAAS's deletes answer 204 with its default content type; the MAAS command-line
        # client reads the header on every answer and fails without it.
        response = Response(status_code=204, media_type=NO_CONTENT_TYPE)
    else:
        response = json_response(result)
    response.headers[QUERY_COUNT_HEADER] = str(call.statements)
    return response


async def _form(handler: Handler, action: Action, call: Call, params: Params) -> Form:
    try:
        return action.form.from_params(params)
    except InvalidInput:
        if handler.find is not None:
            await handler.find(call)  # an unknown object is 404 before its values are judged
        raise
