"""The `maas` CLI's pure parts: names, URLs, key=value arguments, the describe → argparse tree,
and the profile store.  No server needed."""

from __future__ import annotations

import argparse
import sqlite3
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from ironworks.cli import maas as maas_cli
from ironworks.cli.commands import (
    CommandError,
    FileValue,
    Target,
    accepts_data,
    action_command_name,
    action_url,
    add_profile_commands,
    api_url,
    handler_command_name,
    parse_data,
    positional_values,
)
from ironworks.cli.maas import authorization, build_parser
from ironworks.cli.profiles import ProfileStore


@pytest.mark.parametrize("handler, command", [
    ("RackControllersHandler", "rack-controllers"),
    ("RegionControllerHandler", "region-controller"),
    ("IPRangesHandler", "ipranges"),
    ("IPRangeHandler", "iprange"),
    ("DHCPSnippetsHandler", "dhcpsnippets"),
    ("DNSResourceRecordsHandler", "dnsresource-records"),
    ("MaasHandler", "maas"),
    ("VlanHandler", "vlan"),
    ("VlansHandler", "vlans"),
    ("UsersHandler", "users"),
    ("ResourcePoolsHandler", "resource-pools"),
    ("SSHKeysHandler", "sshkeys"),
    ("VersionHandler", "version"),
])
def test_handler_command_names_follow_maascli(handler: str, command: str) -> None:
    assert handler_command_name(handler) == command


def test_action_names_use_dashes() -> None:
    assert action_command_name("list_authorisation_tokens") == "list-authorisation-tokens"
    assert action_command_name("read") == "read"


@pytest.mark.parametrize("url, expected", [
    ("http://h:5240/MAAS/", "http://h:5240/MAAS/api/2.0/"),
    ("http://h:5240/MAAS", "http://h:5240/MAAS/api/2.0/"),
    ("http://h:5240/MAAS/api/2.0/", "http://h:5240/MAAS/api/2.0/"),
    ("http://h:5240/MAAS/api/2.0", "http://h:5240/MAAS/api/2.0/"),
    ("https://maas.example/MAAS/api/1.0/", "https://maas.example/MAAS/api/1.0/"),
    ("http://h:5240", "http://h:5240/api/2.0/"),
    (" http://h/MAAS/?x=1 ", "http://h/MAAS/api/2.0/"),
])
def test_api_url_normalisation(url: str, expected: str) -> None:
    assert api_url(url) == expected


@pytest.mark.parametrize("url", ["h:5240/MAAS/", "ftp://h/MAAS/", "http:///MAAS/", ""])
def test_api_url_rejects_non_http_urls(url: str) -> None:
    with pytest.raises(CommandError):
        api_url(url)


def test_key_value_only_when_the_doc_has_param_after_the_first_paragraph() -> None:
    assert accepts_data("Update.\n\n:param mtu: The MTU.\n:type mtu: Int")
    assert accepts_data("Update.\n\nMore words.\n\n:param mtu: The MTU.")
    assert not accepts_data("Read.")
    assert not accepts_data("Read :param in the title.")
    assert not accepts_data("Read.\n\nNo parameters here.")
    assert not accepts_data(None)


def test_parse_data_keeps_order_repeats_and_reads_files(tmp_path: Path) -> None:
    script = tmp_path / "user-data.sh"
    script.write_bytes(b"#!/bin/sh\necho hi\n")
    data = parse_data(["name=a", "name=b", "value=x=y", "empty=", f"user_data@={script}"])
    assert data == [("name", "a"), ("name", "b"), ("value", "x=y"), ("empty", ""),
                    ("user_data", FileValue("user-data.sh", b"#!/bin/sh\necho hi\n"))]


@pytest.mark.parametrize("item", ["novalue", "=x", "@=x"])
def test_parse_data_rejects_malformed_items(item: str) -> None:
    with pytest.raises(CommandError) as err:
        parse_data([item])
    assert err.value.code == 2


def test_parse_data_reports_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        parse_data([f"f@={tmp_path / 'missing'}"])


def test_action_url_uses_the_profile_host_and_the_handler_path() -> None:
    handler = {"name": "VlanHandler", "params": ["fabric_id", "vid"],
               "path": "/MAAS/api/2.0/fabrics/{fabric_id}/vlans/{vid}/",
               "uri": "http://elsewhere:1/MAAS/api/2.0/fabrics/{fabric_id}/vlans/{vid}/"}
    url = action_url("https://vip.example:5443/MAAS/api/2.0/", handler, ["0", "7"])
    assert url == "https://vip.example:5443/MAAS/api/2.0/fabrics/0/vlans/7/"
    assert action_url("http://h/MAAS/api/2.0/", {**handler, "params": ["fabric_id", "vid"]},
                      ["a/b", "c d"]) == "http://h/MAAS/api/2.0/fabrics/a%2Fb/vlans/c%20d/"


def test_action_url_with_a_broken_path_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="refresh"):
        action_url("http://h/MAAS/api/2.0/", {"name": "X", "params": [], "path": "/x/{id}/"}, [])


def test_authorization_is_oauth_plaintext_with_an_empty_consumer_secret() -> None:
    header = authorization(["ck", "tk", "ts"])["Authorization"]
    assert header.startswith("OAuth ")
    assert 'oauth_signature_method="PLAINTEXT"' in header
    assert 'oauth_consumer_key="ck"' in header and 'oauth_token="tk"' in header
    assert 'oauth_signature="%26ts"' in header
    assert authorization(None) == {}


DESCRIPTION: dict[str, Any] = {
    "doc": "MAAS API", "hash": "abc",
    "resources": [
        {"name": "MachinesHandler",
         "anon": {"name": "AnonMachinesHandler", "doc": "Anon.", "params": [],
                  "path": "/MAAS/api/2.0/machines/", "actions": []},
         "auth": {"name": "MachinesHandler", "doc": "Manage the machines.", "params": [],
                  "path": "/MAAS/api/2.0/machines/",
                  "actions": [{"name": "read", "method": "GET", "op": None, "restful": True,
                               "doc": "List machines.\n\n:param hostname: Only these.\n:type hostname: String"},
                              {"name": "power_on", "method": "POST", "op": "power_on",
                               "restful": False, "doc": "Nothing to pass."}]}},
        {"name": "VersionHandler", "auth": None,
         "anon": {"name": "VersionHandler", "doc": "Version.", "params": [],
                  "path": "/MAAS/api/2.0/version/",
                  "actions": [{"name": "read", "method": "GET", "op": None, "restful": True,
                               "doc": "Version."}]}},
        {"name": "VlanHandler", "anon": None,
         "auth": {"name": "VlanHandler", "doc": "A VLAN.", "params": ["fabric_id", "vid"],
                  "path": "/MAAS/api/2.0/fabrics/{fabric_id}/vlans/{vid}/",
                  "actions": [{"name": "update", "method": "PUT", "op": None, "restful": True,
                               "doc": "Update a VLAN.\n\n:param mtu: The MTU.\n:type mtu: Int"}]}},
    ],
}


def profile_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="maas admin")
    parser.set_defaults(target="unset")
    add_profile_commands(parser, {"name": "admin", "url": "http://h/MAAS/api/2.0/",
                                  "description": DESCRIPTION})
    return parser


def test_tree_has_auth_handlers_anon_fallback_positionals_and_data() -> None:
    parser = profile_parser()
    args = parser.parse_args(["vlan", "update", "0", "5", "mtu=9000", "name=x"])
    assert isinstance(args.target, Target)
    assert args.target.handler["name"] == "VlanHandler"
    assert positional_values(args, args.target.handler) == ["0", "5"]
    assert args.data == ["mtu=9000", "name=x"]
    args = parser.parse_args(["machines", "read", "hostname=a", "hostname=b"])
    assert args.target.handler["name"] == "MachinesHandler"  # auth preferred over anon
    assert args.data == ["hostname=a", "hostname=b"]
    args = parser.parse_args(["version", "read"])  # anon-only resource
    assert args.target.handler["name"] == "VersionHandler"
    assert parser.parse_args(["machines", "power-on"]).target.action["op"] == "power_on"


def test_tree_rejects_key_value_for_actions_without_params(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        profile_parser().parse_args(["machines", "power-on", "stop_mode=hard"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: stop_mode=hard" in capsys.readouterr().err


def test_incomplete_commands_point_at_their_help_parser() -> None:
    parser = profile_parser()
    args = parser.parse_args([])
    assert args.help_parser is parser and args.target is None
    args = parser.parse_args(["machines"])
    assert args.help_parser.prog == "maas admin machines" and args.target is None


def test_top_level_parser_builds_only_the_selected_profile() -> None:
    profiles = {"admin": {"name": "admin", "url": "http://h/MAAS/api/2.0/", "description": DESCRIPTION},
                "other": {"name": "other", "url": "http://o/MAAS/api/2.0/", "description": DESCRIPTION}}
    parser = build_parser(profiles, "admin")
    assert parser.parse_args(["admin", "vlan", "update", "1", "2"]).target.action["name"] == "update"
    help_text = parser.format_help()
    for word in ("login", "logout", "list", "refresh", "admin", "other", "http://o/MAAS/api/2.0/"):
        assert word in help_text
    args = parser.parse_args(["other"])
    assert args.target is None and args.profile["name"] == "other"


def test_profile_store_round_trip_with_maascli_layout(tmp_path: Path) -> None:
    path = tmp_path / ".maascli.db"
    store = ProfileStore(path)
    assert store.all() == [] and not path.exists()  # reading creates nothing
    assert store.delete("nobody") is False
    profile = {"credentials": ["a", "b", "c"], "description": DESCRIPTION, "name": "admin",
               "url": "http://h/MAAS/api/2.0/"}
    store.save(profile)
    store.save({**profile, "url": "http://h2/MAAS/api/2.0/"})  # same name: replaced
    store.save({**profile, "name": "anon", "credentials": None})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.names() == ["admin", "anon"]
    assert (store.get("admin") or {}).get("url") == "http://h2/MAAS/api/2.0/"
    with sqlite3.connect(path) as conn:
        columns = [(row[1], row[2]) for row in conn.execute("PRAGMA table_info(profiles)")]
    assert columns == [("id", "INTEGER"), ("name", "TEXT"), ("data", "BLOB")]
    assert store.delete("admin") is True
    assert store.names() == ["anon"]


def test_profile_store_follows_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert ProfileStore().path == tmp_path / ".maascli.db"


# --- the requests an action sends (recorded by an in-process transport) ----------------------

def send(monkeypatch: pytest.MonkeyPatch, argv: list[str], *, status: int = 200,
         body: bytes = b'{"ok": true}', content_type: str = "application/json",
         api_hash: str = "abc") -> tuple[int, httpx.Request]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=body, headers={"Content-Type": content_type,
                                                             "X-MAAS-API-Hash": api_hash})

    monkeypatch.setattr(maas_cli, "http_client",
                        lambda insecure=False: httpx.Client(transport=httpx.MockTransport(handle)))
    description = {**DESCRIPTION, "resources": DESCRIPTION["resources"] + [DELETER]}
    profile = {"name": "admin", "url": "http://h:5240/MAAS/api/2.0/",
               "credentials": ["ck", "tk", "ts"], "description": description}
    args = build_parser({"admin": profile}, "admin").parse_args(["admin", *argv])
    code = maas_cli.run_action(args, profile)
    (request,) = seen
    return code, request


DELETER: dict[str, Any] = {"name": "RackControllerHandler", "anon": None,
           "auth": {"name": "RackControllerHandler", "doc": "A rack.", "params": ["system_id"],
                    "path": "/MAAS/api/2.0/rackcontrollers/{system_id}/",
                    "actions": [{"name": "delete", "method": "DELETE", "op": None, "restful": True,
                                 "doc": "Delete.\n\n:param force: Force.\n:type force: Boolean"}]}}


def test_get_puts_op_and_repeated_data_in_the_query(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, request = send(monkeypatch, ["machines", "read", "hostname=a", "hostname=b"])
    assert code == 0
    assert request.method == "GET"
    assert str(request.url) == "http://h:5240/MAAS/api/2.0/machines/?hostname=a&hostname=b"
    assert request.headers["Authorization"].startswith("OAuth ")
    assert request.content == b""
    assert capsys.readouterr().out == '{\n    "ok": true\n}\n'


def test_delete_puts_data_in_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    code, request = send(monkeypatch, ["rack-controller", "delete", "abc123", "force=true"],
                         status=204, body=b"", content_type="text/plain")
    assert code == 0
    assert request.method == "DELETE"
    assert str(request.url) == "http://h:5240/MAAS/api/2.0/rackcontrollers/abc123/?force=true"


def test_put_sends_a_urlencoded_body(monkeypatch: pytest.MonkeyPatch) -> None:
    code, request = send(monkeypatch, ["vlan", "update", "0", "5", "mtu=9000", "name=a b"])
    assert code == 0
    assert request.method == "PUT" and request.url.path == "/MAAS/api/2.0/fabrics/0/vlans/5/"
    assert request.url.query == b""
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.content == b"mtu=9000&name=a+b"


def test_post_op_without_data_has_op_in_the_query_and_no_body(monkeypatch: pytest.MonkeyPatch) -> None:
    code, request = send(monkeypatch, ["machines", "power-on"])
    assert code == 0
    assert request.method == "POST" and request.url.query == b"op=power_on"
    assert request.content == b""


def test_post_with_a_file_is_multipart(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "script.sh").write_bytes(b"#!/bin/sh\n")
    doc = "Create.\n\n:param name: Name.\n:param content: A file."
    creator = {"name": "ScriptsHandler", "anon": None,
               "auth": {"name": "ScriptsHandler", "doc": "Scripts.", "params": [],
                        "path": "/MAAS/api/2.0/scripts/",
                        "actions": [{"name": "create", "method": "POST", "op": None,
                                     "restful": True, "doc": doc}]}}
    monkeypatch.setitem(DESCRIPTION, "resources", DESCRIPTION["resources"] + [creator])
    code, request = send(monkeypatch, ["scripts", "create", "name=x", f"content@={tmp_path / 'script.sh'}"])
    assert code == 0
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = request.read()
    assert b'name="name"\r\n\r\nx\r\n' in body
    assert b'name="content"; filename="script.sh"' in body and b"#!/bin/sh\n" in body


def test_non_2xx_prints_status_and_message_to_stderr_and_exits_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = send(monkeypatch, ["machines", "power-on"], status=409,
                   body=b"Machine cannot be powered on.", content_type="text/plain; charset=utf-8")
    assert code == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "409 Conflict\nMachine cannot be powered on.\n"


def test_a_changed_api_hash_warns_once(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    send(monkeypatch, ["machines", "power-on"], api_hash="different")
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "maas refresh" in err
    send(monkeypatch, ["machines", "power-on"], api_hash="abc")
    assert capsys.readouterr().err == ""
