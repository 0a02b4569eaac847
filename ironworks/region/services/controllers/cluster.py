"""The cluster's identity: its UUID and the shared secret racks prove they know.

Both are made once, by whichever region (or command) asks first, and kept in the `config`
table as MAAS keeps them (`uuid`, `rpc_shared_secret`, JSON strings).  Never served by
`get_config`: the secret is for controllers only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import Conflict
from ironworks.common.protocol.auth import new_secret, parse_secret
from ironworks.db import tables as t

UUID_NAME = "uuid"
SECRET_NAME = "rpc_shared_secret"


@dataclass(frozen=True)
class ClusterIdentity:
    uuid: str
    secret: str  # hex, as racks are given it


async def cluster_identity(conn: AsyncConnection) -> ClusterIdentity:
    """The cluster's UUID and shared secret, created on first use.

    Regions starting together each offer a fresh pair; ON CONFLICT DO NOTHING waits for the
    first offer to commit and keeps it, and the read after it (a new snapshot under READ
    COMMITTED) sees that one, so every region gets the same values."""
    offered = [{"name": UUID_NAME, "value": str(uuid.uuid4())},
               {"name": SECRET_NAME, "value": new_secret()}]
    await conn.execute(insert(t.config).values(offered).on_conflict_do_nothing(index_elements=["name"]))
    rows = await conn.execute(select(t.config.c.name, t.config.c.value)
                              .where(t.config.c.name.in_([UUID_NAME, SECRET_NAME])))
    stored = {row.name: row.value for row in rows}
    cluster_uuid, secret = stored.get(UUID_NAME), stored.get(SECRET_NAME)
    if not isinstance(cluster_uuid, str) or not cluster_uuid:
        raise Conflict(f"the config table's '{UUID_NAME}' is not a string; fix or delete that row")
    if not isinstance(secret, str):
        raise Conflict(f"the config table's '{SECRET_NAME}' is not a string; fix or delete that row")
    try:
        parse_secret(secret)
    except ValueError as exc:
        raise Conflict(f"the config table's '{SECRET_NAME}' is unusable ({exc}); fix or delete that row") from None
    return ClusterIdentity(uuid=cluster_uuid, secret=secret.strip().lower())
