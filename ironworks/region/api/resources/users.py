"""Users (`users/`, `users/{username}/`) and the caller's API tokens (`account/`)."""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.dispatch import text_response
from ironworks.region.api.fields import MAX_PASSWORD, Bool
from ironworks.region.api.operations import Form, Handler
from ironworks.region.services.accounts import users as svc

users = Handler("UsersHandler", "users/", "Manage the user accounts of this MAAS.")
user = Handler("UserHandler", "users/{username}/", "Manage a user account.")


@user.lookup
async def find_user(call: Call) -> dict:
    return await svc.get_user(call.conn, call.path["username"])
account = Handler("AccountHandler", "account/", "Manage the current logged-in user.")




@users.action("read")
async def list_users(call: Call) -> list[dict]:
    """List users."""
    return [render.user(u) for u in await svc.list_users(call.conn)]


@users.action("whoami", method="GET")
async def whoami(call: Call) -> dict:
    """Retrieve the logged-in user."""
    return render.user(await svc.get_user(call.conn, call.user.username))


class UserCreate(Form):
    username: str = Field(min_length=1, max_length=150, description="Identifier-style username for the new user.")
    email: str = Field(default="", max_length=254, description="Email address for the new user.")
    password: str = Field(default="", max_length=MAX_PASSWORD, description="Password for the new user.")
    is_superuser: Bool = Field(default=False, description="Whether the new user is to be an administrator (0 or 1).")


@users.action("create", form=UserCreate, admin=True)
async def create_user(call: Call, form: UserCreate) -> dict:
    """Create a MAAS user account.

    This is not safe: the password is sent in the clear.
    """
    return render.user(await svc.create_user(call.conn, form.username, form.email, form.password,
                                             form.is_superuser))


@user.action("read")
async def read_user(call: Call) -> dict:
    """Retrieve a user."""
    return render.user(await find_user(call))


@user.action("delete", admin=True)
async def delete_user(call: Call) -> None:
    """Delete a user account."""
    await svc.delete_user(call.conn, call.path["username"], call.user.id)


class TokenName(Form):
    name: str = Field(default="", max_length=255, description="Name of the token.")


@account.action("create_authorisation_token", form=TokenName)
async def create_token(call: Call, form: TokenName) -> dict:
    """Create an authorisation OAuth token and OAuth consumer."""
    return await svc.create_token(call.conn, call.user.id, form.name)


class TokenKey(Form):
    token_key: str = Field(min_length=1, description="The key of the token to delete.")


@account.action("delete_authorisation_token", form=TokenKey)
async def delete_token(call: Call, form: TokenKey) -> None:
    """Delete an authorisation OAuth token and the related OAuth consumer."""
    await svc.delete_token(call.conn, call.user.id, form.token_key)


@account.action("list_authorisation_tokens", method="GET")
async def list_tokens(call: Call) -> list[dict]:
    """List the authorisation tokens of the current user."""
    return await svc.list_tokens(call.conn, call.user.id)


class TokenRename(Form):
    token: str = Field(min_length=1, description="The token (key, or whole API key) to rename.")
    name: str = Field(min_length=1, max_length=255, description="The new name.")


@account.action("update_token_name", form=TokenRename)
async def rename_token(call: Call, form: TokenRename) -> Response:
    """Modify the name of a token."""
    await svc.rename_token(call.conn, call.user.id, form.token, form.name)
    return text_response("Accepted", 202)
