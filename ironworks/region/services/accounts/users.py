"""Users and their API tokens."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, NotFound, Refused
from ironworks.common.security import check_password, hash_password, new_key_parts
from ironworks.db import tables as t
from ironworks.region.services.unique import duplicate_means

T = TypeVar("T")


def _lower_priority() -> None:
    # Linux: the nice value of one thread, not the process.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# Password hashes (~0.2 s of CPU each) run on one thread per worker, at a lower CPU priority
# than the event loop: a storm of logins queues here instead of starving every other request.
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hash", initializer=_lower_priority)


async def _hashing(func: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASHER, func, *args)


USER_COLUMNS = (t.user.c.id, t.user.c.username, t.user.c.email, t.user.c.is_superuser,
                t.user.c.is_local)


async def list_users(conn: AsyncConnection) -> list[dict]:
    rows = await conn.execute(select(*USER_COLUMNS).order_by(t.user.c.username))
    return [dict(r._mapping) for r in rows]


async def get_user(conn: AsyncConnection, username: str) -> dict:
    row = (await conn.execute(select(*USER_COLUMNS).where(t.user.c.username == username))).first()
    if row is None:
        raise NotFound.model("User")
    return dict(row._mapping)


def _username_taken() -> InvalidInput:
    return InvalidInput.field("username", "A user with that username already exists.")


def _email_taken() -> InvalidInput:
    return InvalidInput.field("email", "User with this email address already exists.")


async def create_user(conn: AsyncConnection, username: str, email: str, password: str,
                      is_superuser: bool) -> dict:
    username = username.strip()
    if not username:
        raise InvalidInput.field("username", "This field is required.")
    taken = await conn.scalar(select(func.count()).where(t.user.c.username == username))
    if taken:
        raise _username_taken()
    # Case-insensitively, as MAAS compares addresses (and as the unique index uq_user_email does).
    if email:
        used = await conn.scalar(select(func.count()).where(func.lower(t.user.c.email) == email.lower()))
        if used:
            raise _email_taken()
    hashed = await _hashing(hash_password, password) if password else ""
    with duplicate_means(_username_taken(), "uq_user_username"), \
            duplicate_means(_email_taken(), "uq_user_email"):
        row = (await conn.execute(
            insert(t.user).values(username=username, email=email, is_superuser=is_superuser,
                                  password=hashed)
            .returning(*USER_COLUMNS)
        )).one()
    return dict(row._mapping)


async def set_password(conn: AsyncConnection, username: str, password: str) -> None:
    hashed = await _hashing(hash_password, password)
    await conn.execute(update(t.user).where(t.user.c.username == username).values(password=hashed))


async def delete_user(conn: AsyncConnection, username: str, acting_user_id: int) -> None:
    user = await get_user(conn, username)
    if user["id"] == acting_user_id:
        raise Refused("You cannot delete your own account.")
    owned = await conn.scalar(select(func.count()).where(t.node.c.owner_id == user["id"]))
    if owned:
        raise Refused(f"Cannot delete user {username}: they own {owned} node(s). Release them first.")
    await conn.execute(delete(t.user).where(t.user.c.id == user["id"]))


# -- logging in: look up, check the password with no connection held, then record ---------

async def login_hash(conn: AsyncConnection, username: str) -> tuple[int, str] | None:
    """(user id, stored password hash) of `username`, or None when there is no such user."""
    row = (await conn.execute(
        select(t.user.c.id, t.user.c.password).where(t.user.c.username == username))).first()
    return (row.id, row.password) if row else None


async def password_matches(password: str, found: tuple[int, str] | None) -> bool:
    """Whether `password` is right for what login_hash found.  The hash runs off the event loop
    (it would stall every request of this worker), and as long for an unknown user as for a
    known one, so the answer's timing does not tell which usernames exist."""
    if not password:
        return False
    return await _hashing(check_password, password, found[1] if found else None)


async def record_login(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(update(t.user).where(t.user.c.id == user_id).values(last_login=func.now()))


# -- tokens -------------------------------------------------------------------------------

def token_dict(row) -> dict:  # noqa: ANN001
    return {"consumer_key": row.consumer_key, "token_key": row.token_key,
            "token_secret": row.token_secret, "name": row.name}


async def create_token(conn: AsyncConnection, user_id: int, name: str = "") -> dict:
    consumer, key, secret = new_key_parts()
    row = (await conn.execute(
        insert(t.api_token).values(user_id=user_id, name=name, consumer_key=consumer,
                                   token_key=key, token_secret=secret).returning(t.api_token)
    )).one()
    return token_dict(row)


async def token_for_consumer(conn: AsyncConnection, user_id: int, name: str) -> dict:
    """The user's token with this name, made on first use (what /accounts/authenticate/ does)."""
    row = (await conn.execute(
        select(t.api_token).where(t.api_token.c.user_id == user_id, t.api_token.c.name == name)
        .order_by(t.api_token.c.id).limit(1)
    )).first()
    return token_dict(row) if row else await create_token(conn, user_id, name)


async def list_tokens(conn: AsyncConnection, user_id: int) -> list[dict]:
    rows = await conn.execute(select(t.api_token).where(t.api_token.c.user_id == user_id)
                              .order_by(t.api_token.c.id))
    return [{"name": r.name, "token": f"{r.consumer_key}:{r.token_key}:{r.token_secret}"} for r in rows]


async def delete_token(conn: AsyncConnection, user_id: int, token_key: str) -> None:
    result = await conn.execute(delete(t.api_token).where(
        t.api_token.c.user_id == user_id, t.api_token.c.token_key == token_key))
    if result.rowcount == 0:
        raise NotFound.model("Token")


async def rename_token(conn: AsyncConnection, user_id: int, token: str, name: str) -> None:
    key = token.split(":")[1] if token.count(":") == 2 else token
    result = await conn.execute(update(t.api_token).where(
        t.api_token.c.user_id == user_id, t.api_token.c.token_key == key).values(name=name))
    if result.rowcount == 0:
        raise NotFound.model("Token")
