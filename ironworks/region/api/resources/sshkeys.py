"""SSH keys (`account/prefs/sshkeys/`, `account/prefs/sshkeys/{id}/`): the requesting user's
public keys, installed on the machines they deploy."""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import Field

from ironworks.region.api.context import Call
from ironworks.region.api.errors import Forbidden
from ironworks.region.api.fields import MAX_TEXT
from ironworks.region.api.operations import API_PREFIX, Form, Handler
from ironworks.region.services.accounts import sshkeys as svc

sshkeys = Handler("SSHKeysHandler", "account/prefs/sshkeys/", "Manage your SSH public keys.")
sshkey = Handler("SSHKeyHandler", "account/prefs/sshkeys/{id}/", "Manage one of your SSH public keys.")


def render_key(row: Mapping[str, Any]) -> dict:
    # keysource: where an imported key came from (lp:/gh:); keys pasted in have none.
    return {"id": row["id"], "key": row["key"], "keysource": None,
            "resource_uri": f"{API_PREFIX}account/prefs/sshkeys/{row['id']}/"}


@sshkey.lookup
async def find_key(call: Call) -> dict:
    return await svc.get_key(call.conn, call.path["id"])


class KeyCreate(Form):
    key: str = Field(max_length=MAX_TEXT, description="The public key, as in an OpenSSH .pub file: "
                                 "type, base64 key data and an optional comment.")


@sshkeys.action("read")
async def list_keys(call: Call) -> list[dict]:
    """List your SSH keys."""
    return [render_key(r) for r in await svc.list_keys(call.conn, call.user.id)]


@sshkeys.action("create", form=KeyCreate)
async def create_key(call: Call, form: KeyCreate) -> dict:
    """Add an SSH public key to your account."""
    return render_key(await svc.add_key(call.conn, call.user.id, form.key))


@sshkey.action("read")
async def read_key(call: Call) -> dict:
    """Read an SSH key."""
    return render_key(await find_key(call))


@sshkey.action("delete")
async def delete_key(call: Call) -> None:
    """Delete one of your SSH keys."""
    row = await find_key(call)
    if row["user_id"] != call.user.id:
        raise Forbidden("Can't delete a key you don't own.")
    await svc.delete_key(call.conn, row["id"])
