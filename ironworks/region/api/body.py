"""Request bodies as MAAS clients send them, read and parsed within limits.

python-libmaas sends every POST/PUT/DELETE as multipart with a quoted boundary and base64
parts (even an empty, headerless part; see multipart.py); maascli sends urlencoded, `key@=FILE`
file parts, or nothing.  A body is read only after the request is authenticated (dispatch.py),
its size is capped while it streams in, and the number of fields and the nesting are capped
before anything is built from it: no body can exhaust a worker's memory or event loop.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

import orjson
from starlette.requests import ClientDisconnect, Request

from ironworks.region.api.errors import BadRequest, PayloadTooLarge
from ironworks.region.api.multipart import parse_multipart

MAX_BODY = 64 * 1024 * 1024
# Django's default (DATA_UPLOAD_MAX_NUMBER_FIELDS), which MAAS keeps.
MAX_FIELDS = 1000
# Bodies bigger than this are parsed in a thread, so the event loop keeps serving others.
PARSE_INLINE_MAX = 256 * 1024


class Params:
    """An ordered multi-dict of request parameters; lists are repeated keys."""

    def __init__(self, items: list[tuple[str, str]] | None = None,
                 files: dict[str, bytes] | None = None) -> None:
        self.items = items or []
        self.files = files or {}

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in reversed(self.items):
            if k == key:
                return v
        return default

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self.items if k == key]

    def __contains__(self, key: str) -> bool:
        return any(k == key for k, _ in self.items)

    def keys(self) -> list[str]:
        return list(dict.fromkeys(k for k, _ in self.items))

    def merged(self, other: "Params") -> "Params":
        return Params(self.items + other.items, {**self.files, **other.files})


def refuse_nul(params: Params, path: dict[str, str]) -> None:
    """PostgreSQL stores no NUL in text: refuse it here, naming the parameter, not in SQL."""
    for name, value in [*params.items, *path.items()]:
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "\\x00")
            raise BadRequest(f"Parameter {shown} contains a NUL character, which is not allowed.")


def parse_query(query: str) -> Params:
    return Params(_urlencoded(query))


async def read_params(request: Request, limit: int = MAX_BODY) -> Params:
    """The parameters of a request's body, read within `limit` bytes."""
    body = await read_body(request, limit)
    content_type = request.headers.get("content-type", "")
    if len(body) > PARSE_INLINE_MAX:
        return await asyncio.to_thread(parse_body, content_type, body)
    return parse_body(content_type, body)


async def read_body(request: Request, limit: int = MAX_BODY) -> bytearray:
    """The body, refused (413) as soon as it is known to exceed `limit`: from Content-Length
    before reading anything, else while it streams (chunked).  One growing bytearray, not a
    list of chunks, so a large body is one allocation that goes back to the system when freed."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body too large: the limit is {limit} bytes.")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise PayloadTooLarge(f"Request body too large: the limit is {limit} bytes.")
    except ClientDisconnect:
        raise BadRequest("The client closed the connection before sending the whole body.") from None
    return body


def parse_body(content_type: str, body: bytes | bytearray) -> Params:
    if not body.strip():
        return Params()
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        return Params(*parse_multipart(content_type, body, MAX_FIELDS))
    if media == "application/json":
        return _json(body)
    try:
        return Params(_urlencoded(body.decode("utf-8")))
    except UnicodeDecodeError:
        raise BadRequest("Request body is not valid UTF-8.") from None


def _urlencoded(text: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise BadRequest(f"Too many parameters (at most {MAX_FIELDS}).") from None


def _json(body: bytes | bytearray) -> Params:
    try:
        data = orjson.loads(body)  # refuses nesting deeper than 1024 itself
    except orjson.JSONDecodeError:
        raise BadRequest("Request body is not valid JSON (or is nested too deeply).") from None
    if not isinstance(data, dict):
        raise BadRequest("A JSON request body must be an object.")
    items: list[tuple[str, str]] = []
    for key, value in data.items():
        for v in value if isinstance(value, list) else [value]:
            items.append((key, _json_value(v)))
            if len(items) > MAX_FIELDS:
                raise BadRequest(f"Too many parameters (at most {MAX_FIELDS}).")
    return Params(items)


def _json_value(value: object) -> str:
    if isinstance(value, (dict, list)):
        try:
            return orjson.dumps(value).decode()
        except orjson.JSONEncodeError:  # orjson writes at most 254 levels
            raise BadRequest("A JSON parameter is nested too deeply.") from None
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)
