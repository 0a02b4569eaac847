"""What an operation receives: the request, its database transaction, the user, the parameters."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request

from ironworks.region.api.auth import User
from ironworks.region.api.body import Params
from ironworks.region.api.errors import Forbidden, MissingParameter


@dataclass
class Call:
    """One request being served.  `conn` is the request's transaction: everything an operation
    writes there commits together when it returns, or not at all when it fails.  An operation
    that must wait (on a rack, say) commits its intent with `release()` first, so no pooled
    connection is held while it waits, and opens `transaction()`s for any later work."""

    request: Request
    conn: AsyncConnection | None
    user: User | None
    path: dict[str, str]
    params: Params
    engine: AsyncEngine | None = None
    statements: int = field(default=0)  # issued on connections this call has given back

    async def release(self) -> None:
        """Commit the work so far and give the connection back to the pool."""
        if self.conn is None:
            return
        await self.conn.commit()
        self.statements += await statements_on(self.conn)
        await self.conn.close()
        self.conn = None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A transaction of its own, after `release()`: committed when the block ends."""
        assert self.engine is not None and self.conn is None, "release() the request's transaction first"
        async with self.engine.begin() as conn:
            before = await statements_on(conn)
            try:
                yield conn
            finally:
                self.statements += await statements_on(conn) - before

    @property
    def is_admin(self) -> bool:
        return bool(self.user and self.user.is_superuser)

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("You do not have permission to perform this action: it needs an administrator.")

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if value is None or value == "":
            raise MissingParameter(name)
        return value


async def statements_on(conn: AsyncConnection) -> int:
    """Statements the pooled DBAPI connection under `conn` has issued (db/connect.py counts them)."""
    raw = await conn.get_raw_connection()
    return int(raw.info.get("statements", 0))
