"""Request bodies as MAAS clients send them.

python-libmaas sends every POST/PUT/DELETE as multipart with a quoted boundary and base64
parts (even an empty, headerless part); maascli sends urlencoded or nothing.  The stdlib
`email` parser decodes Content-Transfer-Encoding, which most web multipart parsers ignore.
"""

from __future__ import annotations

import email.parser
import email.policy
from urllib.parse import parse_qsl

import orjson

from ironworks.region.api.errors import BadRequest

MAX_BODY = 64 * 1024 * 1024


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


def parse_query(query: str) -> Params:
    return Params(parse_qsl(query, keep_blank_values=True))


def parse_body(content_type: str, body: bytes) -> Params:
    if not body.strip():
        return Params()
    if len(body) > MAX_BODY:
        raise BadRequest("Request body too large.")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        return _multipart(content_type, body)
    if media == "application/json":
        return _json(body)
    try:
        return Params(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise BadRequest("Request body is not valid UTF-8.") from None


def _multipart(content_type: str, body: bytes) -> Params:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequest("Malformed multipart body.")
    items: list[tuple[str, str]] = []
    files: dict[str, bytes] = {}
    for part in message.get_payload():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue  # libmaas's empty body is one headerless part
        payload = part.get_payload(decode=True) or b""
        if part.get_param("filename", header="content-disposition") is not None:
            files[name] = payload
            continue
        try:
            items.append((name, payload.decode("utf-8")))
        except UnicodeDecodeError:
            raise BadRequest(f"Parameter {name} is not valid UTF-8 text.") from None
    return Params(items, files)


def _json(body: bytes) -> Params:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("Request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("A JSON request body must be an object.")
    items: list[tuple[str, str]] = []
    for key, value in data.items():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, (dict, list)):
                v = orjson.dumps(v).decode()
            items.append((key, "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)))
    return Params(items)
