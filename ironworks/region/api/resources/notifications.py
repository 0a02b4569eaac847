"""Notifications (`notifications/`, `notifications/{id}/`): messages for users and admins."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Mapping

import orjson
from pydantic import BeforeValidator, Field

from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.errors import Forbidden
from ironworks.region.api.fields import MAX_TEXT, Bool, Clearable
from ironworks.region.api.operations import API_PREFIX, Form, Handler
from ironworks.region.services.notifications import notifications as svc

notifications = Handler("NotificationsHandler", "notifications/", "Manage the collection of all the "
                        "notifications in MAAS.")
notification = Handler("NotificationHandler", "notifications/{id}/", "Manage an individual notification.")


def render_notification(row: Mapping[str, Any]) -> dict:
    return {"id": row["id"], "ident": row["ident"],
            "user": render.user(row["user"]) if row["user"] else None,
            "users": row["users"], "admins": row["admins"], "message": row["message"],
            "context": row["context"], "category": row["category"], "dismissable": row["dismissable"],
            "resource_uri": f"{API_PREFIX}notifications/{row['id']}/"}


def _context(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = orjson.loads(value) if value.strip() else {}
        except orjson.JSONDecodeError:
            raise ValueError('context must be a JSON object, e.g. {"name": "rack01"}.') from None
    if not isinstance(value, dict):
        raise ValueError('context must be a JSON object, e.g. {"name": "rack01"}.')
    return value


Context = Annotated[dict[str, Any], BeforeValidator(_context)]
Category = Literal["error", "warning", "success", "info"]


class NotificationCreate(Form):
    message: str = Field(max_length=MAX_TEXT, description="The message, which may refer to {names} in context.")
    context: Context = Field(default_factory=dict, description="A JSON object of values for the message.")
    category: Category = Field(default="info", description="error, warning, success or info.")
    ident: Clearable = Field(default=None, max_length=40, description="An identifier for the kind of notification.")
    user: Clearable = Field(default=None, description="The user (username or id) it is for.")
    users: Bool = Field(default=False, description="Whether it is for every user.")
    admins: Bool = Field(default=False, description="Whether it is for every administrator.")
    dismissable: Bool = Field(default=True, description="Whether readers may dismiss it.")


class NotificationUpdate(Form):
    message: str | None = Field(default=None, max_length=MAX_TEXT, description="The message.")
    context: Context | None = Field(default=None, description="A JSON object of values for the message.")
    category: Category | None = Field(default=None, description="error, warning, success or info.")
    ident: Clearable = Field(default=None, max_length=40, description="An identifier for the kind of notification.")
    user: Clearable = Field(default=None, description="The user (username or id) it is for; blank for none.")
    users: Bool | None = Field(default=None, description="Whether it is for every user.")
    admins: Bool | None = Field(default=None, description="Whether it is for every administrator.")
    dismissable: Bool | None = Field(default=None, description="Whether readers may dismiss it.")


@notification.lookup
async def find_notification(call: Call) -> dict:
    return await svc.get_notification(call.conn, call.path["id"])


async def _visible(call: Call) -> dict:
    row = await find_notification(call)
    if not call.is_admin and not svc.is_for(row, call.user.id, False):
        raise Forbidden("You do not have permission to see this notification.")
    return row


@notifications.action("read")
async def list_notifications(call: Call) -> list[dict]:
    """List the notifications for you that you have not dismissed."""
    return [render_notification(r) for r in await svc.list_for(call.conn, call.user.id, call.is_admin)]


@notifications.action("create", form=NotificationCreate, admin=True)
async def create_notification(call: Call, form: NotificationCreate) -> dict:
    """Create a notification.

    Address it to a user, to every user and/or to every administrator.
    """
    new_id = await svc.create_notification(call.conn, form.model_dump())
    return render_notification(await svc.get_notification(call.conn, str(new_id)))


@notification.action("read")
async def read_notification(call: Call) -> dict:
    """Read a notification."""
    return render_notification(await _visible(call))


@notification.action("update", form=NotificationUpdate, admin=True)
async def update_notification(call: Call, form: NotificationUpdate) -> dict:
    """Update a notification; only the fields given change."""
    row = await find_notification(call)
    changes = {k: v for k, v in form.model_dump(exclude_unset=True).items()
               if v is not None or k in ("user", "ident")}
    await svc.update_notification(call.conn, row, changes)
    return render_notification(await svc.get_notification(call.conn, str(row["id"])))


@notification.action("delete", admin=True)
async def delete_notification(call: Call) -> None:
    """Delete a notification."""
    await svc.delete_notification(call.conn, await find_notification(call))


@notification.action("dismiss")
async def dismiss_notification(call: Call) -> None:
    """Dismiss a notification for yourself."""
    row = await find_notification(call)
    if not svc.is_for(row, call.user.id, call.is_admin):
        raise Forbidden("This notification is not for you to dismiss.")
    await svc.dismiss(call.conn, row, call.user.id)
