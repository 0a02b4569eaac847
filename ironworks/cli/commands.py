"""From a stored `describe/` document to the `maas PROFILE RESOURCE ACTION` command tree, and
the small pure rules behind it (names, URLs, `key=value` arguments), following maascli."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

API_VERSION = "2.0"
_API_PATH = re.compile(r"/api/[0-9]+(?:\.[0-9]+)*/?$")
_WORD = re.compile(r"[A-Z]*[a-z]*[0-9]*")


class CommandError(Exception):
    """A user mistake or a failure worth one line on stderr."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def api_url(url: str) -> str:
    """The API root of a MAAS URL: `http://h:5240/MAAS/` → `http://h:5240/MAAS/api/2.0/`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandError(f"'{url}' is not an http:// or https:// URL.")
    path = parts.path
    if not _API_PATH.search(path):
        path = path.rstrip("/") + f"/api/{API_VERSION}/"
    elif not path.endswith("/"):
        path += "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def handler_command_name(name: str) -> str:
    """`RackControllersHandler` → `rack-controllers`, `IPRangesHandler` → `ipranges`: a word is
    a run of capitals, then of lower-case letters, then of digits (so acronyms stay glued on)."""
    name = name.removesuffix("Handler")
    return "-".join(word.lower() for word in _WORD.findall(name) if word)


def action_command_name(name: str) -> str:
    return name.replace("_", "-")


def accepts_data(doc: str | None) -> bool:
    """maascli's rule: `key=value` arguments only if the doc after its first paragraph has `:param`."""
    parts = (doc or "").strip().split("\n\n", 1)
    return len(parts) == 2 and ":param" in parts[1]


def summary(doc: str | None) -> str:
    """The first paragraph of a doc, on one line."""
    return " ".join((doc or "").strip().split("\n\n", 1)[0].split())


@dataclass(frozen=True)
class FileValue:
    """The contents of `key@=filename`."""

    filename: str
    content: bytes

    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


DataItem = tuple[str, "str | FileValue"]


def parse_data(items: list[str]) -> list[DataItem]:
    """`key=value` and `key@=filename` arguments, in order (keys may repeat)."""
    data: list[DataItem] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or key == "@":
            raise CommandError(f"'{item}' is not of the form key=value or key@=filename.", 2)
        if key.endswith("@"):
            path = Path(value).expanduser()
            try:
                data.append((key[:-1], FileValue(path.name, path.read_bytes())))
            except OSError as exc:
                raise CommandError(f"Cannot read '{value}' for {key[:-1]}: {exc.strerror or exc}.") from None
        else:
            data.append((key, value))
    return data


def action_url(profile_url: str, handler: dict[str, Any], values: list[str]) -> str:
    """The profile's scheme and host + the handler's `path` filled with the positionals
    (maascli ignores the describe `uri`, which names whatever host served describe)."""
    base = urlsplit(profile_url)
    fill = {name: quote(str(value), safe="") for name, value in zip(handler.get("params", []), values)}
    try:
        path = handler["path"].format(**fill)
    except (KeyError, IndexError, ValueError):
        raise CommandError(f"The API description of {handler.get('name')} has an unusable path; "
                           "try 'maas refresh'.") from None
    return urlunsplit((base.scheme, base.netloc, path, "", ""))


@dataclass(frozen=True)
class Target:
    """What an action command calls: one action of one handler."""

    handler: dict[str, Any]
    action: dict[str, Any]


def resource_handlers(description: dict[str, Any]) -> list[dict[str, Any]]:
    """Each resource's `auth` handler (its `anon` one when it has none)."""
    resources = description.get("resources")
    if isinstance(resources, list):
        picked = [r.get("auth") or r.get("anon") for r in resources if isinstance(r, dict)]
    else:  # a very old document: only the flat handler list
        picked = description.get("handlers") or []
    return [h for h in picked if isinstance(h, dict) and h.get("name") and h.get("path")]


def _parser(sub: Any, name: str, doc: str | None, **kw: Any) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=summary(doc) or None, description=(doc or "").strip() or None,
                          formatter_class=argparse.RawDescriptionHelpFormatter, **kw)


def add_profile_commands(parser: argparse.ArgumentParser, profile: dict[str, Any]) -> None:
    """Resources and actions of one profile under `parser` (`maas PROFILE`).

    Sets `help_parser` on incomplete commands and `target` (a `Target`) on complete ones."""
    parser.set_defaults(help_parser=parser, target=None)
    resources = parser.add_subparsers(title="resources", metavar="RESOURCE")
    seen: set[str] = set()
    for handler in sorted(resource_handlers(profile.get("description") or {}),
                          key=lambda h: handler_command_name(h["name"])):
        name = handler_command_name(handler["name"])
        if not name or name in seen:
            continue
        seen.add(name)
        resource = _parser(resources, name, handler.get("doc"))
        resource.set_defaults(help_parser=resource, target=None)
        actions = resource.add_subparsers(title="actions", metavar="ACTION")
        for action in sorted(handler.get("actions") or [], key=lambda a: a.get("name", "")):
            command = _parser(actions, action_command_name(action["name"]), action.get("doc"))
            for i, param in enumerate(handler.get("params") or []):
                command.add_argument(f"param_{i}", metavar=param)
            if accepts_data(action.get("doc")):
                command.add_argument("data", nargs="*", metavar="key=value",
                                     help="Parameters of the call; key@=filename sends a file's contents.")
            command.add_argument("-k", "--insecure", action="store_true",
                                 help="Do not verify the server's TLS certificate.")
            command.set_defaults(help_parser=None, target=Target(handler, action))


def positional_values(args: argparse.Namespace, handler: dict[str, Any]) -> list[str]:
    return [getattr(args, f"param_{i}") for i in range(len(handler.get("params") or []))]
