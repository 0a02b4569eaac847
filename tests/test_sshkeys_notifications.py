"""SSH keys (each user's own) and notifications (addressed, read, dismissed) through the API."""

from __future__ import annotations

import base64
import secrets

from ironworks.lab.harness import APIClient

KEYS = "account/prefs/sshkeys/"


def _ed25519(comment: str = "me@host") -> str:
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + secrets.token_bytes(32)
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


def _ok(response) -> dict:  # noqa: ANN001
    assert response.status_code == 200, response.text
    return response.json()


def test_a_user_adds_lists_reads_and_deletes_their_keys(api: APIClient, user_api: APIClient) -> None:
    key = _ed25519()
    created = _ok(user_api.post(KEYS, {"key": key}))
    assert created == {"id": created["id"], "key": key, "keysource": None,
                       "resource_uri": f"/MAAS/api/2.0/{KEYS}{created['id']}/"}
    assert _ok(user_api.get(KEYS)) == [created]
    assert created["id"] not in [k["id"] for k in _ok(api.get(KEYS))]  # keys are per user
    assert _ok(user_api.get(f"{KEYS}{created['id']}/")) == created
    refused = api.delete(f"{KEYS}{created['id']}/")
    assert (refused.status_code, refused.text) == (403, "Can't delete a key you don't own.")
    assert user_api.delete(f"{KEYS}{created['id']}/").status_code == 204
    assert user_api.get(f"{KEYS}{created['id']}/").status_code == 404
    assert _ok(user_api.get(KEYS)) == []


def test_invalid_and_duplicate_keys_are_refused(api: APIClient) -> None:
    response = api.post(KEYS, {"key": "ssh-rsa notbase64!!"})
    assert response.status_code == 400
    assert response.json()["key"][0] == "Invalid SSH public key: the key data is not valid base64."
    assert api.post(KEYS, {}).json() == {"key": ["This field is required."]}
    key = _ed25519("first")
    _ok(api.post(KEYS, {"key": key}))
    again = api.post(KEYS, {"key": key.replace("first", "second comment")})
    assert again.status_code == 400
    assert again.json() == {"__all__": ["This key has already been added for this user."]}


def test_notifications_reach_whom_they_address(api: APIClient, user_api: APIClient) -> None:
    to_admins = _ok(api.post("notifications/", {"message": "Region {name} is old", "context": '{"name": "r1"}',
                                                "category": "warning", "admins": "true", "ident": "version"}))
    assert {k: to_admins[k] for k in ("message", "context", "category", "admins", "users", "user", "dismissable")} \
        == {"message": "Region {name} is old", "context": {"name": "r1"}, "category": "warning",
            "admins": True, "users": False, "user": None, "dismissable": True}
    to_alice = _ok(api.post("notifications/", {"message": "hi alice", "user": "alice"}))
    assert to_alice["user"]["username"] == "alice"
    to_all = _ok(api.post("notifications/", {"message": "maintenance", "users": "true"}))

    def ids(client: APIClient) -> set[int]:
        return {n["id"] for n in _ok(client.get("notifications/"))} & {to_admins["id"], to_alice["id"], to_all["id"]}

    assert ids(user_api) == {to_alice["id"], to_all["id"]}
    assert ids(api) == {to_admins["id"], to_all["id"]}
    assert user_api.get(f"notifications/{to_admins['id']}/").status_code == 403
    assert _ok(api.get(f"notifications/{to_alice['id']}/"))["message"] == "hi alice"
    # Dismissing hides it from that reader only.
    assert user_api.post(f"notifications/{to_all['id']}/", op="dismiss").status_code == 204
    assert ids(user_api) == {to_alice["id"]}
    assert to_all["id"] in ids(api)
    assert user_api.post(f"notifications/{to_admins['id']}/", op="dismiss").status_code == 403


def test_notification_rules_and_admin_only_writes(api: APIClient, user_api: APIClient) -> None:
    assert user_api.post("notifications/", {"message": "x", "users": "true"}).status_code == 403
    assert api.post("notifications/", {}).json() == {"message": ["This field is required."]}
    assert api.post("notifications/", {"message": "x", "category": "loud"}).status_code == 400
    assert "JSON object" in api.post("notifications/", {"message": "x", "context": "[1]"}).json()["context"][0]
    assert api.post("notifications/", {"message": "x", "user": "nobody"}).json() == {
        "user": ["No user named 'nobody' exists."]}
    sticky = _ok(api.post("notifications/", {"message": "stays", "users": "true", "dismissable": "false"}))
    refused = user_api.post(f"notifications/{sticky['id']}/", op="dismiss")
    assert (refused.status_code, refused.text) == (400, "This notification cannot be dismissed.")
    updated = _ok(api.put(f"notifications/{sticky['id']}/", {"message": "changed", "category": "error"}))
    assert (updated["message"], updated["category"], updated["users"]) == ("changed", "error", True)
    assert user_api.put(f"notifications/{sticky['id']}/", {"message": "no"}).status_code == 403
    assert user_api.delete(f"notifications/{sticky['id']}/").status_code == 403
    assert api.delete(f"notifications/{sticky['id']}/").status_code == 204
    missing = api.get(f"notifications/{sticky['id']}/")
    assert (missing.status_code, missing.text) == (404, "No Notification matches the given query.")
