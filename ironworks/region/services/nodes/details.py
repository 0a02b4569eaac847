"""A node's probed details (`op=details`): what commissioning learnt, as MAAS returns it — a
BSON document {"lshw": <XML bytes or null>, "lldp": <XML bytes or null>}.

Nothing is commissioned yet, so both are null, which is exactly what MAAS answers for a node
never commissioned.  BSON is encoded here: two fields of null or binary need no library.
"""

from __future__ import annotations

import struct
from typing import Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.nodetypes import NodeType
from ironworks.region.services.nodes import query as nodes

DETAIL_KEYS = ("lshw", "lldp")
_NULL, _BINARY, _GENERIC_SUBTYPE = 0x0A, 0x05, 0x00


def encode_bson(doc: Mapping[str, bytes | None]) -> bytes:
    """A BSON document of null or binary values (the only kinds details hold)."""
    body = b""
    for key, value in doc.items():
        name = key.encode() + b"\x00"
        if value is None:
            body += bytes([_NULL]) + name
        else:
            body += bytes([_BINARY]) + name + struct.pack("<i", len(value)) + bytes([_GENERIC_SUBTYPE]) + value
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


async def probed_details(conn: AsyncConnection, system_id: str) -> dict[str, bytes | None]:
    await nodes.get_node(conn, system_id, tuple(NodeType), "Node")  # 404 for an unknown node
    return dict.fromkeys(DETAIL_KEYS)
