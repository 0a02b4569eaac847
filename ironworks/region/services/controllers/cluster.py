"""The cluster's identity: its UUID and the shared secret racks prove, created once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.protocol.auth import new_secret
from ironworks.db import tables as t


@dataclass(frozen=True)
class ClusterIdentity:
    uuid: str
    secret: str  # hex


async def cluster_identity(conn: AsyncConnection) -> ClusterIdentity:
    """Created by the first region that asks; every later call (any region) reads the same."""
    for name, value in (("uuid", str(uuid.uuid4())), ("rpc_shared_secret", new_secret())):
        await conn.execute(pg_insert(t.config).values(name=name, value=value).on_conflict_do_nothing())
    rows = dict((await conn.execute(select(t.config.c.name, t.config.c.value).where(
        t.config.c.name.in_(["uuid", "rpc_shared_secret"])))).all())
    return ClusterIdentity(uuid=rows["uuid"], secret=rows["rpc_shared_secret"])
