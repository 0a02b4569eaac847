"""SSH public keys: each belongs to one user, who lists, adds and deletes their own."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput
from ironworks.db import tables as t
from ironworks.region.services.accounts.ssh_public_keys import check_public_key
from ironworks.region.services.names import row_by_id


async def list_keys(conn: AsyncConnection, user_id: int) -> list[dict]:
    rows = await conn.execute(select(t.sshkey).where(t.sshkey.c.user_id == user_id).order_by(t.sshkey.c.id))
    return [dict(r._mapping) for r in rows]


async def get_key(conn: AsyncConnection, key_id: str) -> dict:
    return await row_by_id(conn, t.sshkey, key_id, "SSHKey")


async def add_key(conn: AsyncConnection, user_id: int, text: str) -> dict:
    key = check_public_key(text)
    # The same key with another comment is still the same key.
    blob = " ".join(key.split(" ", 2)[:2])
    owned = await conn.scalars(select(t.sshkey.c.key).where(t.sshkey.c.user_id == user_id))
    if any(" ".join(k.split(" ", 2)[:2]) == blob for k in owned):
        raise InvalidInput.whole("This key has already been added for this user.")
    row = (await conn.execute(insert(t.sshkey).values(user_id=user_id, key=key).returning(t.sshkey))).one()
    return dict(row._mapping)


async def delete_key(conn: AsyncConnection, key_id: int) -> None:
    await conn.execute(delete(t.sshkey).where(t.sshkey.c.id == key_id))
