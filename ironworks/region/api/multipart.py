"""multipart/form-data as MAAS clients send it, split flat and bounded.

python-libmaas sends every part base64-encoded (Content-Transfer-Encoding, which most web
multipart parsers ignore) and an empty body as one headerless part; maascli sends `key@=FILE`
values as file parts.  Parts are found with `bytes.find` (C speed) and never parsed
recursively: a part that is itself multipart is refused, and the number of parts is capped
before any of them is decoded, so no body can make the parser recurse or loop for long.
"""

from __future__ import annotations

import binascii
import email.message
import email.parser
import email.policy
import email.utils

from ironworks.region.api.errors import BadRequest

# A part's headers are a few short lines; anything bigger is not a form field.
MAX_PART_HEADER_BYTES = 16 * 1024
_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.compat32)


def boundary_of(content_type: str) -> bytes:
    message = email.message.Message()
    message["Content-Type"] = content_type
    boundary = message.get_boundary()
    if not boundary:
        raise BadRequest("Malformed multipart body: the Content-Type names no boundary.")
    return boundary.encode("latin-1", "replace")


def split_parts(body: bytes | bytearray, boundary: bytes, max_parts: int) -> list[bytes]:
    """The raw parts (headers and content) between the delimiter lines, in order.

    A delimiter is `--boundary` at the start of a line, followed by `--` on the last one; the
    line break before a delimiter belongs to it.  Text before the first one is ignored."""
    marker = b"--" + boundary
    parts: list[bytes] = []
    start: int | None = None  # where the current part's content begins
    pos = 0
    while (found := body.find(marker, pos)) >= 0:
        pos = found + len(marker)
        if found > 0 and body[found - 1] != 0x0A:  # not at a line start: part of the content
            continue
        line_end = body.find(b"\n", pos)
        rest = bytes(body[pos: len(body) if line_end < 0 else line_end]).strip()
        if rest not in (b"", b"--"):
            continue
        if start is not None:
            end = max(start, found - 1)
            if end > start and body[end - 1] == 0x0D:
                end -= 1
            parts.append(bytes(body[start:end]))
            if len(parts) > max_parts:
                raise BadRequest(f"Too many parts in the multipart body (at most {max_parts}).")
        if rest == b"--" or line_end < 0:
            return parts
        start = pos = line_end + 1
    if start is None:
        raise BadRequest("Malformed multipart body: no part starts with the boundary.")
    parts.append(bytes(body[start:]))  # no closing delimiter: the last part runs to the end
    return parts


def _head_and_content(part: bytes) -> tuple[bytes, bytes]:
    for blank in (b"\r\n", b"\n"):
        if part.startswith(blank):  # a headerless part
            return b"", part[len(blank):]
    ends = [(i, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (i := part.find(sep)) >= 0]
    if not ends:
        return part, b""
    at, length = min(ends)
    return part[:at], part[at + length:]


def _decode(name: str, encoding: str, content: bytes) -> bytes:
    try:
        if encoding == "base64":
            # Lenient like the email package: line breaks ignored, missing padding tolerated.
            return binascii.a2b_base64(content + b"==")
        if encoding == "quoted-printable":
            return binascii.a2b_qp(content)
    except binascii.Error:
        raise BadRequest(f"Parameter {name} is not valid {encoding}.") from None
    return content


def parse_multipart(content_type: str, body: bytes | bytearray, max_parts: int
                    ) -> tuple[list[tuple[str, str]], dict[str, bytes]]:
    """(text fields in order, file parts by name) of a multipart/form-data body."""
    items: list[tuple[str, str]] = []
    files: dict[str, bytes] = {}
    for part in split_parts(body, boundary_of(content_type), max_parts):
        head, content = _head_and_content(part)
        if len(head) > MAX_PART_HEADER_BYTES:
            raise BadRequest("Malformed multipart body: a part's headers are too long.")
        headers = _HEADERS.parsebytes(head)
        if headers.get_content_maintype() in ("multipart", "message"):
            raise BadRequest("Nested multipart bodies are not accepted: send each field as a part.")
        name = headers.get_param("name", header="content-disposition")
        if not name:
            continue  # libmaas's empty body is one headerless part
        name = email.utils.collapse_rfc2231_value(name)
        encoding = str(headers.get("content-transfer-encoding", "")).strip().lower()
        payload = _decode(name, encoding, content)
        if headers.get_param("filename", header="content-disposition") is not None:
            files[name] = payload
            continue
        try:
            items.append((name, payload.decode("utf-8")))
        except UnicodeDecodeError:
            raise BadRequest(f"Parameter {name} is not valid UTF-8 text.") from None
    return items, files
