"""maas: the MAAS command-line client (maascli-compatible).

    maas login PROFILE URL [KEY|-]      remember a server, its API key and its API description
    maas logout PROFILE | list | refresh
    maas init rack --maas-url URL --secret SECRET   register this host's rack controller
    maas PROFILE RESOURCE ACTION [positional...] [key=value | key@=filename ...]

The `PROFILE ...` commands are built from the profile's stored `describe/` document.  Exit codes:
0 success, 1 a failure of ours or of the connection, 2 a usage error or a non-2xx response.
Every failure is one line (or the server's status and message) on stderr; no tracebacks.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import sys
from typing import Any, Callable
from urllib.parse import urlencode

import httpx

from ironworks.cli.commands import (
    CommandError,
    FileValue,
    Target,
    action_url,
    add_profile_commands,
    api_url,
    parse_data,
    positional_values,
)
from ironworks.cli.profiles import Profile, ProfileStore
from ironworks.cli.rack import register_and_report
from ironworks.common.config import ConfigError

BUILTINS = ("login", "logout", "list", "refresh", "init")
TIMEOUT = httpx.Timeout(120.0, connect=30.0)
KEY_PROMPT = "API key (leave empty for anonymous access): "


# --- HTTP ------------------------------------------------------------------------------------

def http_client(insecure: bool = False) -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, verify=not insecure)


def split_key(key: str) -> list[str]:
    parts = key.strip().split(":")
    if len(parts) != 3 or not all(parts):
        raise CommandError("Invalid API key: expected the form consumer_key:token_key:token_secret.")
    return parts


def authorization(credentials: list[str] | None) -> dict[str, str]:
    """OAuth 1.0 PLAINTEXT with an empty consumer secret, as MAAS clients sign."""
    if not credentials:
        return {}
    from oauthlib.oauth1 import SIGNATURE_PLAINTEXT, Client

    consumer, token, secret = credentials
    client = Client(consumer, client_secret="", resource_owner_key=token,
                    resource_owner_secret=secret, signature_method=SIGNATURE_PLAINTEXT)
    _, headers, _ = client.sign("http://localhost/")  # PLAINTEXT covers no part of the request
    return {"Authorization": headers["Authorization"]}


def request(http: httpx.Client, method: str, url: str, **kw: Any) -> httpx.Response:
    try:
        return http.request(method, url, **kw)
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise CommandError(f"Unable to connect to {url}: {reason}") from None


def status_line(response: httpx.Response) -> str:
    return f"{response.status_code} {response.reason_phrase}".strip()


def fetch_description(http: httpx.Client, url: str) -> dict[str, Any]:
    """The unsigned `describe/` document of the API at `url`."""
    response = request(http, "GET", url + "describe/")
    if response.status_code != 200:
        raise CommandError(f"Could not fetch the API description from {url}describe/: {status_line(response)}.")
    content_type = response.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise CommandError(f"{url}describe/ returned {content_type or 'no content type'}, not "
                           "application/json: is this a MAAS server?")
    try:
        description = response.json()
    except ValueError:
        description = None
    if not isinstance(description, dict) or not isinstance(description.get("resources"), list):
        raise CommandError(f"{url}describe/ did not return a MAAS API description.")
    return description


# --- login / logout / list / refresh ---------------------------------------------------------

def obtain_credentials(http: httpx.Client, url: str, key: str | None) -> list[str] | None:
    """KEY, `-` (stdin), a prompt on a terminal, or else an anonymous token request."""
    if key == "-":
        key = sys.stdin.read()
    elif key is None and sys.stdin.isatty():
        try:
            key = getpass.getpass(KEY_PROMPT)
        except EOFError:
            key = ""
    elif key is None:
        response = request(http, "POST", url + "account/",
                           params={"op": "create_authorisation_token"})
        token = _json_or_none(response) if response.status_code == 200 else None
        if not isinstance(token, dict) or not all(token.get(k) for k in ("consumer_key", "token_key", "token_secret")):
            raise CommandError("An API key is required: pass it as KEY, or '-' to read it from stdin.")
        return [token["consumer_key"], token["token_key"], token["token_secret"]]
    return split_key(key) if key.strip() else None  # empty: anonymous access


def check_key(http: httpx.Client, url: str, credentials: list[str]) -> None:
    response = request(http, "GET", url + "users/", params={"op": "whoami"},
                       headers=authorization(credentials))
    if response.status_code == 401:
        raise CommandError("The MAAS server rejected your API key.")
    if response.status_code != 200:
        raise CommandError("The MAAS server gave an unexpected response while checking the API key: "
                           f"{status_line(response)}.")


def cmd_login(args: argparse.Namespace, store: ProfileStore) -> int:
    name = args.profile_name
    if name in BUILTINS or name.startswith("-"):
        raise CommandError(f"'{name}' cannot be a profile name.")
    url = api_url(args.url)
    with http_client(args.insecure) as http:
        credentials = obtain_credentials(http, url, args.key)
        if credentials:
            check_key(http, url, credentials)
        description = fetch_description(http, url)
    store.save({"credentials": credentials, "description": description, "name": name, "url": url})
    print(f"\nYou are now logged in to the MAAS server at {url} with the profile name '{name}'.\n\n"
          f"For help with the available commands, try:\n\n  maas {name} --help\n")
    return 0


def cmd_logout(args: argparse.Namespace, store: ProfileStore) -> int:
    if not store.delete(args.profile_name):
        raise CommandError(f"There is no profile named '{args.profile_name}'.")
    return 0


def cmd_list(args: argparse.Namespace, store: ProfileStore) -> int:
    for profile in store.all():
        key = ":".join(profile.get("credentials") or [])
        print(" ".join(part for part in (profile["name"], profile["url"], key) if part))
    return 0


def cmd_refresh(args: argparse.Namespace, store: ProfileStore) -> int:
    failed = False
    with http_client(args.insecure) as http:
        for profile in store.all():
            try:
                profile["description"] = fetch_description(http, profile["url"])
            except CommandError as exc:
                print(f"{profile['name']}: {exc}", file=sys.stderr)
                failed = True
                continue
            store.save(profile)
    return 1 if failed else 0


def cmd_init_rack(args: argparse.Namespace, store: ProfileStore) -> int:
    """The snap's form of `maas-rack register`."""
    try:
        register_and_report(args.maas_url, args.secret)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    return 0


# --- PROFILE RESOURCE ACTION -----------------------------------------------------------------

def _is_json(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json() if _is_json(response) else None
    except ValueError:
        return None


def write_body(response: httpx.Response, out: Any) -> None:
    if not response.content:
        return
    if _is_json(response):
        try:
            print(json.dumps(response.json(), indent=4), file=out)
            return
        except ValueError:
            pass
    try:
        text = response.content.decode("utf-8")
    except UnicodeDecodeError:  # binary (e.g. BSON): pass it through untouched
        out.flush()
        out.buffer.write(response.content)
        return
    out.write(text if text.endswith("\n") else text + "\n")


def run_action(args: argparse.Namespace, profile: Profile) -> int:
    target: Target = args.target
    handler, action = target.handler, target.action
    url = action_url(profile["url"], handler, positional_values(args, handler))
    data = parse_data(getattr(args, "data", None) or [])
    method = str(action.get("method") or "GET").upper()
    query: list[tuple[str, str]] = [("op", action["op"])] if action.get("op") else []
    kw: dict[str, Any] = {"headers": authorization(profile.get("credentials"))}
    if method in ("GET", "DELETE"):
        query += [(k, v.text() if isinstance(v, FileValue) else v) for k, v in data]
    elif any(isinstance(v, FileValue) for _, v in data):
        fields: dict[str, list[str]] = {}
        for k, v in data:
            if not isinstance(v, FileValue):
                fields.setdefault(k, []).append(v)
        kw["data"] = fields
        kw["files"] = [(k, (v.filename, v.content)) for k, v in data if isinstance(v, FileValue)]
    elif data:
        kw["content"] = urlencode(data)
        kw["headers"]["Content-Type"] = "application/x-www-form-urlencoded"
    with http_client(args.insecure) as http:
        response = request(http, method, url, params=query or None, **kw)
    served = response.headers.get("x-maas-api-hash")
    stored = (profile.get("description") or {}).get("hash")
    if served and stored and served != stored:
        print(f"Warning: the MAAS server's API has changed since profile '{profile['name']}' was "
              "saved; run 'maas refresh' to update it.", file=sys.stderr)
    if response.is_success:
        write_body(response, sys.stdout)
        return 0
    print(status_line(response), file=sys.stderr)
    write_body(response, sys.stderr)
    return 2


# --- the command line ------------------------------------------------------------------------

def build_parser(profiles: dict[str, Profile], selected: str | None) -> argparse.ArgumentParser:
    """Built-in commands and every profile; only the `selected` profile gets its (describe-built)
    resource tree, so other profiles cost nothing."""
    parser = argparse.ArgumentParser(prog="maas", description="Control MAAS from the command line.",
                                     epilog="Log in first with 'maas login PROFILE URL KEY'; then "
                                            "'maas PROFILE --help' lists what the server offers.")
    parser.set_defaults(run=None, profile=None, help_parser=parser, target=None)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def builtin(name: str, run: Callable[..., int], help: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help, description=help)
        command.set_defaults(run=run, help_parser=None)
        return command

    login = builtin("login", cmd_login, "Log in to a MAAS server and remember it as a profile.")
    login.add_argument("profile_name", metavar="PROFILE", help="The name to give this profile.")
    login.add_argument("url", metavar="URL", help="The server's URL, e.g. http://host:5240/MAAS/.")
    login.add_argument("key", metavar="KEY", nargs="?", default=None,
                       help="The API key (consumer_key:token_key:token_secret); '-' reads it "
                            "from stdin; '' logs in anonymously.  Prompted for when omitted.")
    login.add_argument("-k", "--insecure", action="store_true", help="Do not verify TLS certificates.")
    logout = builtin("logout", cmd_logout, "Forget a profile and its credentials.")
    logout.add_argument("profile_name", metavar="PROFILE")
    builtin("list", cmd_list, "List the profiles: name, URL and API key.")
    refresh = builtin("refresh", cmd_refresh, "Fetch the API description of every profile again.")
    refresh.add_argument("-k", "--insecure", action="store_true", help="Do not verify TLS certificates.")
    init = sub.add_parser("init", help="Initialise this host as a MAAS controller.",
                          description="Initialise this host as a MAAS controller.")
    init.set_defaults(help_parser=init)  # `maas init` alone shows the choices
    init_sub = init.add_subparsers(title="modes", metavar="MODE")
    rack = init_sub.add_parser("rack", help="Register this host's rack controller with the region(s).",
                               description="Write the region URL(s) to rackd.conf and the shared "
                                           "secret to the data directory (as maas-rack register).")
    rack.add_argument("--maas-url", action="append", required=True, metavar="URL",
                      help="A region's URL, e.g. http://192.0.2.10:5240/MAAS (repeat for several).")
    rack.add_argument("--secret", help="The cluster's shared secret; read from stdin or prompted "
                                       "for when omitted.")
    rack.set_defaults(run=cmd_init_rack, help_parser=None)

    for name, profile in profiles.items():
        if name in BUILTINS:
            continue
        command = sub.add_parser(name, help=f"Interact with {profile.get('url')}",
                                 description=f"Interact with the MAAS server at {profile.get('url')} "
                                             f"as profile '{name}'.")
        command.set_defaults(profile=profile)
        if name == selected:
            add_profile_commands(command, profile)
    return parser


def _main(argv: list[str]) -> int:
    store = ProfileStore()
    profiles = {p["name"]: p for p in store.all()}
    first = argv[0] if argv and not argv[0].startswith("-") else None
    if first is not None and first not in BUILTINS and first not in profiles:
        known = f" Profiles: {', '.join(profiles)}." if profiles else ""
        raise CommandError(f"'{first}' is neither a command nor a profile; log in with "
                           f"'maas login {first} URL KEY'.{known}")
    parser = build_parser(profiles, first)
    args = parser.parse_args(argv)
    if args.run is not None:
        return args.run(args, store)
    if args.target is not None:
        return run_action(args, args.profile)
    args.help_parser.print_help()
    return 2


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return exc.code
    except sqlite3.Error as exc:
        print(f"Cannot use the profile database {ProfileStore().path}: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        if isinstance(exc, BrokenPipeError):  # e.g. `maas admin machines read | head`
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
