"""maas-rack: administration of a rack controller (registration, rackd.conf).

    maas-rack register --url URL [--url URL2 ...] [--secret SECRET]
    maas-rack config [--region-url URL ...]

Every failure is one line on stderr and exit 1 (2 for a usage error); no tracebacks.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from ironworks.common.config import ConfigError
from ironworks.rack import registration
from ironworks.rack.config import rack_config_file

SECRET_PROMPT = "Shared secret (maas-region rack-register-command prints it): "


def read_secret(given: str | None) -> str:
    """The secret as given, else from stdin when it is not a terminal, else asked for."""
    if given is not None:
        secret = given
    elif not sys.stdin.isatty():
        secret = sys.stdin.readline()
    else:
        try:
            secret = getpass.getpass(SECRET_PROMPT)
        except EOFError:
            secret = ""
    secret = secret.strip()
    if not secret:
        raise ConfigError("no shared secret given: use --secret, stdin or the prompt")
    return secret


def register_and_report(urls: list[str], secret: str | None) -> None:
    """The whole of `maas-rack register` (and `maas init rack`): read the secret, register, say so."""
    registration.check_urls(urls)  # a bad URL is refused before the secret is asked for
    done = registration.register(urls, read_secret(secret))
    print(registration.describe(done))


def cmd_register(args: argparse.Namespace) -> None:
    register_and_report(args.url, args.secret)


def cmd_config(args: argparse.Namespace) -> None:
    config_file = rack_config_file()
    before = config_file.load().maas_url
    if not args.region_url:
        if not before:
            print(f"No region URL is set in {config_file.path}: run maas-rack register.", file=sys.stderr)
        for url in before:
            print(url)
        return
    after = registration.set_urls(args.region_url, config_file).maas_url
    if after == before:
        print(f"Unchanged: {', '.join(after)}")
    else:
        print(f"Region URLs in {config_file.path}: {', '.join(before) or '(none)'} -> {', '.join(after)}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="maas-rack", description="Administer a rack controller.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    reg = sub.add_parser("register", help="point this rack at the region(s) and give it the shared secret",
                         description="Write the region URLs to rackd.conf and the shared secret to the "
                                     "data directory; the rack registers on its next connection.")
    reg.add_argument("--url", action="append", required=True, metavar="URL",
                     help="a region's URL, e.g. http://192.0.2.10:5240/MAAS (repeat for several regions)")
    reg.add_argument("--secret", help="the cluster's shared secret (hex); read from stdin or asked "
                                      "for when omitted")
    reg.set_defaults(func=cmd_register)

    conf = sub.add_parser("config", help="show or set the region URLs in rackd.conf")
    conf.add_argument("--region-url", action="append", metavar="URL",
                      help="replace the region URLs (repeat for several)")
    conf.set_defaults(func=cmd_config)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ConfigError as exc:
        print(f"maas-rack: {exc}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"maas-rack: {exc.strerror or exc}{where}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        sys.exit(130)
