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
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from ironworks.common.errors import DomainError, InvalidInput, Unavailable
from ironworks.common.logs import first_line, log_throttled
from ironworks.region.api import auth
from ironworks.region.api.body import parse_body, parse_query
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
        query = parse_query(request.url.query)
        body = parse_body(request.headers.get("content-type", ""), await request.body()) \
            if method in ("POST", "PUT", "DELETE") else parse_query("")
        params = query.merged(body)
        op = params.get("op") or None
        action = choose_action(handler, method, op)
        return await _run(handler, action, request, engine, params)
    except (APIError, DomainError) as error:
        return error_response(error)
    except sa_exc.IntegrityError as exc:
        return error_response(integrity_error(exc))
    except Exception as exc:  # the last line of defence: never a traceback to the client
        if database_unavailable(exc):
            log_throttled(log, first_line(exc), "database unavailable (%s), e.g. %s %s",
                          first_line(exc), method, request.url.path)
            return error_response(database_unavailable_error())
        if isinstance(exc, sa_exc.DataError):
            return error_response(BadRequest(f"Invalid value: {str(exc.orig).splitlines()[0]}"))
        log.exception("unhandled error in %s %s", method, request.url.path)
        return text_response("Internal server error; the region logged the details.", 500)


async def _run(handler: Handler, action: Action, request: Request, engine: AsyncEngine,
               params) -> Response:  # noqa: ANN001
    conn = await engine.connect()
    call = Call(request, conn, None, dict(request.path_params), params, engine)
    try:
        await conn.begin()
        call.statements = -await statements_on(conn)
        call.user = await auth.authenticate(conn, request.headers.get("authorization"))
        if call.user is None and not handler.anon:
            raise Unauthorized("Authorization Error: this call needs an API key (OAuth PLAINTEXT).")
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
        response = Response(status_code=204)
    else:
        response = json_response(result)
    response.headers[QUERY_COUNT_HEADER] = str(call.statements)
    return response


async def _form(handler: Handler, action: Action, call: Call, params) -> Form:  # noqa: ANN001
    try:
        return action.form.from_params(params)
    except InvalidInput:
        if handler.find is not None:
            await handler.find(call)  # an unknown object is 404 before its values are judged
        raise
