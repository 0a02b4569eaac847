"""Notifications: messages for one user, every user and/or every administrator, which each
reader may dismiss for themselves (when the notification allows it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, NotFound, Refused
from ironworks.db import tables as t
from ironworks.region.services.names import as_int

CATEGORIES = ("error", "warning", "success", "info")
_USER = ("username", "email", "is_superuser", "is_local")


def is_for(row: dict, user_id: int, is_admin: bool) -> bool:
    """Whether a notification is addressed to this user."""
    return row["user_id"] == user_id or row["users"] or (row["admins"] and is_admin)


def _for(user_id: int, is_admin: bool) -> ColumnElement[bool]:
    n = t.notification.c
    return or_(n.user_id == user_id, n.users, and_(n.admins, is_admin) if is_admin else false())


def _select() -> Any:
    return (select(t.notification, *[t.user.c[k].label(f"user_{k}") for k in _USER])
            .select_from(t.notification.outerjoin(t.user, t.user.c.id == t.notification.c.user_id)))


def _row(r: Any) -> dict:
    data = dict(r._mapping)
    user = {k: data.pop(f"user_{k}") for k in _USER}
    data["user"] = user if data["user_id"] is not None else None
    return data


async def list_for(conn: AsyncConnection, user_id: int, is_admin: bool) -> list[dict]:
    """What this user sees: notifications addressed to them that they have not dismissed."""
    dismissed = exists().where(t.notification_dismissal.c.notification_id == t.notification.c.id,
                               t.notification_dismissal.c.user_id == user_id)
    rows = await conn.execute(_select().where(_for(user_id, is_admin), ~dismissed).order_by(t.notification.c.id))
    return [_row(r) for r in rows]


async def get_notification(conn: AsyncConnection, ref: str) -> dict:
    notification_id = as_int(ref)
    row = None if notification_id is None else \
        (await conn.execute(_select().where(t.notification.c.id == notification_id))).first()
    if row is None:
        raise NotFound.model("Notification")
    return _row(row)


async def user_id_for(conn: AsyncConnection, ref: str) -> int:
    """The user a form's `user` names, by username or id."""
    match = t.user.c.username == ref
    if (user_id := as_int(ref)) is not None:
        match = or_(match, t.user.c.id == user_id)
    found = await conn.scalar(select(t.user.c.id).where(match).order_by(t.user.c.id))
    if found is None:
        raise InvalidInput.field("user", f"No user named '{ref[:60]}' exists.")
    return found


async def _values(conn: AsyncConnection, fields: dict[str, Any]) -> dict[str, Any]:
    values = dict(fields)
    if "user" in values:
        ref = values.pop("user")
        values["user_id"] = None if ref is None else await user_id_for(conn, ref)
    return values


async def create_notification(conn: AsyncConnection, fields: dict[str, Any]) -> int:
    if not fields.get("message", "").strip():
        raise InvalidInput.field("message", "This field is required.")
    return await conn.scalar(insert(t.notification).values(**await _values(conn, fields))
                             .returning(t.notification.c.id))


async def update_notification(conn: AsyncConnection, row: dict, fields: dict[str, Any]) -> None:
    if "message" in fields and not fields["message"].strip():
        raise InvalidInput.field("message", "This field cannot be blank.")
    values = await _values(conn, fields)
    if values:
        await conn.execute(update(t.notification).where(t.notification.c.id == row["id"])
                           .values(**values, updated=func.now()))


async def delete_notification(conn: AsyncConnection, row: dict) -> None:
    await conn.execute(delete(t.notification).where(t.notification.c.id == row["id"]))


async def dismiss(conn: AsyncConnection, row: dict, user_id: int) -> None:
    if not row["dismissable"]:
        raise Refused("This notification cannot be dismissed.")
    await conn.execute(pg_insert(t.notification_dismissal)
                       .values(notification_id=row["id"], user_id=user_id).on_conflict_do_nothing())
