"""The `maas` command-line client against a real region: login, profiles, describe-built
commands, signed requests, output and exit codes."""

from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import stat
import subprocess
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from ironworks.lab.harness import BIN, APIClient, Region, free_port

Maas = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def home(region: Region, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh $HOME (so a fresh ~/.maascli.db) for each test."""
    monkeypatch.setitem(region.env, "HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def maas(region: Region, home: Path) -> Maas:
    """Runs `maas ...`; never raises on a non-zero exit (tests check the code)."""
    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return region.run("maas", *args, check=False, input=input)
    return run


@pytest.fixture
def admin(maas: Maas, region: Region) -> Maas:
    """`maas` with the `admin` profile logged in."""
    result = maas("login", "admin", region.url, region.apikey)
    assert result.returncode == 0, result.stderr
    return maas


def describe(region: Region) -> dict:
    return httpx.get(region.url + "api/2.0/describe/").json()


def needs_handlers(region: Region, *names: str) -> None:
    present = {r["name"] for r in describe(region)["resources"]}
    missing = [n for n in names if n not in present]
    assert not missing, f"the region does not declare: {', '.join(missing)}"


def output(result: subprocess.CompletedProcess) -> Any:
    assert result.returncode == 0, (result.returncode, result.stderr)
    return json.loads(result.stdout)


# --- login and profiles ----------------------------------------------------------------------

def test_login_stores_a_private_profile_in_home(maas: Maas, region: Region, home: Path) -> None:
    result = maas("login", "admin", region.url, region.apikey)
    assert result.returncode == 0, result.stderr
    api_root = region.url + "api/2.0/"
    assert (f"You are now logged in to the MAAS server at {api_root} with the profile name 'admin'."
            in result.stdout)
    db = home / ".maascli.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    with sqlite3.connect(db) as conn:
        (name, data), = conn.execute("SELECT name, data FROM profiles").fetchall()
    profile = json.loads(data)
    assert name == "admin" and profile["name"] == "admin" and profile["url"] == api_root
    assert profile["credentials"] == region.apikey.split(":")
    assert profile["description"]["hash"] == describe(region)["hash"]


def test_login_accepts_an_api_url_and_the_key_on_stdin(maas: Maas, region: Region) -> None:
    api_root = region.url + "api/2.0/"
    result = maas("login", "viastdin", api_root.rstrip("/"), "-", input=region.apikey + "\n")
    assert result.returncode == 0, result.stderr
    assert maas("list").stdout.split() == ["viastdin", api_root, region.apikey]


def test_login_with_a_wrong_key_is_rejected(maas: Maas, region: Region, home: Path) -> None:
    ck, tk, _ = region.apikey.split(":")
    result = maas("login", "admin", region.url, f"{ck}:{tk}:{'x' * 32}")
    assert result.returncode == 1
    assert result.stderr.strip() == "The MAAS server rejected your API key."
    assert "Traceback" not in result.stderr
    assert maas("list").stdout == ""


def test_login_with_a_malformed_key_is_one_line(maas: Maas, region: Region) -> None:
    result = maas("login", "admin", region.url, "not-a-key")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Invalid API key" in result.stderr


def test_login_without_a_key_or_terminal_needs_one(maas: Maas, region: Region) -> None:
    """The anonymous token request gets 401, so a key is required."""
    result = maas("login", "admin", region.url, input="")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "An API key is required: pass it as KEY, or '-' to read it from stdin."]


def test_login_without_a_key_on_a_terminal_prompts_for_it(region: Region, home: Path, maas: Maas) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: `maas login` on a terminal
        os.execve(str(BIN / "maas"), ["maas", "login", "typed", region.url], region.command_env())
    seen = b""

    def read_until(done: Callable[[bytes], bool], timeout: float = 30) -> None:
        nonlocal seen
        while not done(seen) and select.select([fd], [], [], timeout)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child has closed the terminal
                return
            if not chunk:
                return
            seen += chunk

    try:
        read_until(lambda out: b"API key" in out)
        assert b"API key (leave empty for anonymous access): " in seen
        os.write(fd, region.apikey.encode() + b"\n")
        read_until(lambda out: False)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert region.apikey.encode() not in seen  # not echoed
    assert b"with the profile name 'typed'" in seen
    assert maas("list").stdout.split()[::2] == ["typed", region.apikey]


def test_login_to_nothing_is_a_one_line_connection_error(maas: Maas) -> None:
    result = maas("login", "admin", f"http://127.0.0.1:{free_port()}/MAAS/", "a:b:c")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Unable to connect to http://127.0.0.1:")


def test_login_to_a_non_api_url_is_one_line(maas: Maas, region: Region) -> None:
    result = maas("login", "admin", region.url.replace("/MAAS/", "/elsewhere/"), region.apikey)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "unexpected response" in result.stderr and "404" in result.stderr


def test_anonymous_login_can_only_use_anonymous_handlers(maas: Maas, region: Region) -> None:
    assert maas("login", "anon", region.url, "").returncode == 0
    assert "capabilities" in output(maas("anon", "version", "read"))
    result = maas("anon", "users", "whoami")
    assert result.returncode == 2 and result.stderr.startswith("401 Unauthorized")


def test_list_logout_and_unknown_profiles(admin: Maas, region: Region) -> None:
    assert admin("login", "second", region.url, region.apikey).returncode == 0
    lines = admin("list").stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["admin", "second"]
    assert lines[0].split()[1:] == [region.url + "api/2.0/", region.apikey]

    assert admin("logout", "second").returncode == 0
    assert [line.split()[0] for line in admin("list").stdout.splitlines()] == ["admin"]

    result = admin("logout", "second")
    assert result.returncode == 1 and result.stderr.strip() == "There is no profile named 'second'."
    result = admin("second", "users", "whoami")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "'second'" in result.stderr


def test_help_lists_commands_and_profiles(admin: Maas) -> None:
    result = admin("--help")
    assert result.returncode == 0
    for word in ("login", "logout", "list", "refresh", "admin"):
        assert word in result.stdout
    result = admin("admin")  # no resource: the profile's help
    assert "users" in result.stdout and "maas" in result.stdout and "account" in result.stdout
    result = admin("admin", "account")  # no action: the resource's help
    assert "list-authorisation-tokens" in result.stdout
    assert "Traceback" not in result.stderr
    result = admin("admin", "maas", "get-config", "--help")
    assert result.returncode == 0 and "key=value" in result.stdout


def test_refresh_updates_stored_descriptions(admin: Maas, region: Region, home: Path) -> None:
    db = home / ".maascli.db"
    with sqlite3.connect(db) as conn:
        (data,), = conn.execute("SELECT data FROM profiles WHERE name = 'admin'").fetchall()
        stale = json.loads(data)
        stale["description"]["hash"] = "0" * 40
        conn.execute("UPDATE profiles SET data = ? WHERE name = 'admin'", (json.dumps(stale),))
    result = admin("admin", "users", "whoami")
    assert result.returncode == 0
    assert "maas refresh" in result.stderr  # the API hash differs from the stored one
    assert admin("refresh").returncode == 0
    with sqlite3.connect(db) as conn:
        (data,), = conn.execute("SELECT data FROM profiles WHERE name = 'admin'").fetchall()
    assert json.loads(data)["description"]["hash"] == describe(region)["hash"]
    result = admin("admin", "users", "whoami")
    assert result.returncode == 0 and result.stderr == ""


def test_refresh_reports_an_unreachable_profile_and_carries_on(admin: Maas, region: Region) -> None:
    assert admin("login", "zz-gone", region.url, region.apikey).returncode == 0
    # Point the second profile at a port nobody listens on.
    db = Path(region.env["HOME"]) / ".maascli.db"
    with sqlite3.connect(db) as conn:
        (data,), = conn.execute("SELECT data FROM profiles WHERE name = 'zz-gone'").fetchall()
        gone = json.loads(data)
        gone["url"] = f"http://127.0.0.1:{free_port()}/MAAS/api/2.0/"
        conn.execute("UPDATE profiles SET data = ? WHERE name = 'zz-gone'", (json.dumps(gone),))
    result = admin("refresh")
    assert result.returncode == 1
    assert result.stderr.startswith("zz-gone: Unable to connect")
    assert len(result.stderr.strip().splitlines()) == 1


# --- describe-built commands -----------------------------------------------------------------

def test_users_whoami(admin: Maas) -> None:
    me = output(admin("admin", "users", "whoami"))
    assert me["username"] == "admin" and me["is_superuser"] is True


def test_pretty_printed_json(admin: Maas) -> None:
    result = admin("admin", "users", "whoami")
    assert result.stdout == json.dumps(json.loads(result.stdout), indent=4) + "\n"


def test_get_and_set_config(admin: Maas, api: APIClient) -> None:
    result = admin("admin", "maas", "set-config", "name=maas_name", "value=from-the-cli")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"
    assert output(admin("admin", "maas", "get-config", "name=maas_name")) == "from-the-cli"
    assert api.get("maas/", op="get_config", name="maas_name").json() == "from-the-cli"


def test_values_from_files(admin: Maas, home: Path) -> None:
    """`key@=file`: in the query string for GET; a multipart file part for POST (the plain
    fields travel alongside it, as form fields)."""
    name = home / "name.txt"
    name.write_text("maas_name")
    attachment = home / "blob.bin"
    attachment.write_bytes(bytes(range(256)))
    result = admin("admin", "maas", "set-config", "name=maas_name", "value=multipart-ok",
                   f"attachment@={attachment}")
    assert result.returncode == 0, result.stderr
    assert output(admin("admin", "maas", "get-config", f"name@={name}")) == "multipart-ok"
    value = home / "value.txt"
    value.write_text("from-a-file")
    result = admin("admin", "maas", "set-config", "name=maas_name", f"value@={value}")
    assert result.returncode == 0, result.stderr
    assert output(admin("admin", "maas", "get-config", "name=maas_name")) == "from-a-file"
    result = admin("admin", "maas", "get-config", f"name@={home / 'missing.txt'}")
    assert result.returncode == 1 and result.stderr.startswith("Cannot read ")


def test_account_tokens(admin: Maas, region: Region) -> None:
    tokens = output(admin("admin", "account", "list-authorisation-tokens"))
    assert region.apikey in [t["token"] for t in tokens]
    created = output(admin("admin", "account", "create-authorisation-token", "name=cli-made"))
    assert created["name"] == "cli-made" and created["token_key"]
    result = admin("admin", "account", "delete-authorisation-token", f"token_key={created['token_key']}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    tokens = output(admin("admin", "account", "list-authorisation-tokens"))
    assert "cli-made" not in [t["name"] for t in tokens]


def test_a_400_exits_2_with_the_server_message(admin: Maas) -> None:
    result = admin("admin", "maas", "get-config", "name=bogus")
    assert result.returncode == 2
    status, *message = result.stderr.splitlines()
    assert status == "400 Bad Request"
    assert message and "bogus" in "\n".join(message)
    assert result.stdout == ""


def test_a_403_exits_2(maas: Maas, region: Region, user_api: APIClient) -> None:
    assert maas("login", "alice", region.url, user_api.apikey).returncode == 0
    result = maas("alice", "maas", "set-config", "name=maas_name", "value=nope")
    assert result.returncode == 2 and result.stderr.startswith("403 Forbidden")


def test_key_value_rejected_for_actions_without_params(admin: Maas) -> None:
    result = admin("admin", "users", "whoami", "name=x")
    assert result.returncode == 2
    assert "unrecognized arguments: name=x" in result.stderr
    result = admin("admin", "maas", "get-config", "novalue")
    assert result.returncode == 2
    assert "'novalue' is not of the form key=value" in result.stderr
    assert "Traceback" not in result.stderr


def test_argparse_errors_exit_2_without_tracebacks(admin: Maas) -> None:
    for args in (("admin", "nonesuch"), ("admin", "users", "frobnicate"), ("login",)):
        result = admin(*args)
        assert result.returncode == 2, args
        assert "usage:" in result.stderr and "Traceback" not in result.stderr


def test_connection_failure_on_a_command_is_one_line(admin: Maas, region: Region, home: Path) -> None:
    db = home / ".maascli.db"
    with sqlite3.connect(db) as conn:
        (data,), = conn.execute("SELECT data FROM profiles WHERE name = 'admin'").fetchall()
        profile = json.loads(data)
        profile["url"] = f"http://127.0.0.1:{free_port()}/MAAS/api/2.0/"
        conn.execute("UPDATE profiles SET data = ? WHERE name = 'admin'", (json.dumps(profile),))
    result = admin("admin", "users", "whoami")
    assert result.returncode == 1
    assert result.stderr.startswith("Unable to connect to ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_user_positional_and_delete(admin: Maas, api: APIClient) -> None:
    created = output(admin("admin", "users", "create", "username=bob", "email=bob@example.com",
                           "password=pw", "is_superuser=0"))
    assert created["username"] == "bob"
    assert output(admin("admin", "user", "read", "bob"))["username"] == "bob"
    result = admin("admin", "user", "delete", "bob")
    assert result.returncode == 0, result.stderr
    assert api.get("users/bob/").status_code == 404
    result = admin("admin", "user", "read", "bob")
    assert result.returncode == 2 and result.stderr.startswith("404 Not Found")


# --- networking, controllers and machines (handlers implemented by others) -------------------

def test_controllers_read(admin: Maas, region: Region) -> None:
    needs_handlers(region, "RackControllersHandler", "RegionControllersHandler")
    assert isinstance(output(admin("admin", "rack-controllers", "read")), list)
    assert isinstance(output(admin("admin", "region-controllers", "read")), list)


def test_fabrics_and_subnets_read(admin: Maas, region: Region) -> None:
    needs_handlers(region, "FabricsHandler", "SubnetsHandler")
    fabrics = output(admin("admin", "fabrics", "read"))
    assert isinstance(fabrics, list) and any(f["id"] == 0 for f in fabrics)
    assert isinstance(output(admin("admin", "subnets", "read")), list)


def test_subnet_and_dynamic_range_create(admin: Maas, region: Region) -> None:
    needs_handlers(region, "SubnetsHandler", "IPRangesHandler")
    subnet = output(admin("admin", "subnets", "create", "cidr=10.9.0.0/24"))
    assert subnet["cidr"] == "10.9.0.0/24"
    iprange = output(admin("admin", "ipranges", "create", "type=dynamic",
                           "start_ip=10.9.0.100", "end_ip=10.9.0.150"))
    assert iprange["type"] == "dynamic" and iprange["subnet"]["id"] == subnet["id"]
    assert any(s["cidr"] == "10.9.0.0/24" for s in output(admin("admin", "subnets", "read")))


def test_vlan_update_with_fabric_and_vid_positionals(admin: Maas, region: Region) -> None:
    needs_handlers(region, "VlanHandler")
    vlan = output(admin("admin", "vlan", "update", "0", "0", "mtu=9000"))
    assert vlan["mtu"] == 9000 and vlan["vid"] == 0 and vlan["fabric_id"] == 0


def test_machines_create(admin: Maas, region: Region) -> None:
    needs_handlers(region, "MachinesHandler")
    machine = output(admin("admin", "machines", "create", "architecture=amd64/generic",
                           "mac_addresses=52:54:00:00:00:01", "power_type=manual"))
    assert machine["system_id"] and machine["architecture"].startswith("amd64")
    assert machine["power_type"] == "manual"
    listed = output(admin("admin", "machines", "read"))
    assert machine["system_id"] in [m["system_id"] for m in listed]
