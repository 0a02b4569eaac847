"""maas-region: administration of a region controller (local config, schema, admins, keys).

Every failure is one line on stderr and a non-zero exit; no tracebacks.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from typing import Any, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common import identity
from ironworks.common.config import ConfigError
from ironworks.common.errors import DomainError
from ironworks.db.connect import check_reachable, run_in_transaction
from ironworks.db.migrate import migrate
from ironworks.rack.config import normalise_url
from ironworks.region import config as cfg
from ironworks.region import rack_secret
from ironworks.region.cluster import budget
from ironworks.region.config import Paths, open_database
from ironworks.region.frontdoor import haproxy, keepalived
from ironworks.region.services.accounts import users
from ironworks.region.services.controllers import cluster, processes

CONFIG_OPTIONS = {
    "maas_url": str, "database_host": str, "database_port": int, "database_name": str,
    "database_user": str, "database_pass": str, "num_workers": int,
    "listen_address": str, "listen_port": int,
}


class CommandError(Exception):
    pass


def _in_database(work: Callable[[AsyncConnection], Awaitable[Any]], *, migrate_first: bool = True) -> Any:
    """Run `work` in one transaction against the configured (or embedded) database."""
    paths = Paths.from_env()
    config = cfg.load(paths)
    with open_database(config, paths.data) as target:
        check_reachable(target)
        if migrate_first:
            migrate(target)
        return run_in_transaction(target, work)


def cmd_local_config_set(args: argparse.Namespace) -> None:
    changes = {k: getattr(args, k) for k in CONFIG_OPTIONS if getattr(args, k) is not None}
    if not changes:
        raise CommandError("nothing to set: give at least one option (see --help)")
    cfg.update(changes)


def cmd_local_config_get(args: argparse.Namespace) -> None:
    config = cfg.load()
    wanted = [k for k in CONFIG_OPTIONS if getattr(args, k)] or list(CONFIG_OPTIONS)
    for key in wanted:
        value = getattr(config, key)
        print(f"{key}: {'' if value is None else value}" if len(wanted) > 1 else ("" if value is None else value))


def cmd_migrate(args: argparse.Namespace) -> None:
    paths = Paths.from_env()
    config = cfg.load(paths)
    with open_database(config, paths.data) as target:
        check_reachable(target)
        before, after = migrate(target)
    print(f"schema at {after}" + (f" (was {before or 'empty'})" if before != after else " (already current)"))


def cmd_createadmin(args: argparse.Namespace) -> None:
    username = args.username or _ask("Username: ")
    password = args.password or _ask_password()
    email = args.email if args.email is not None else (_ask("Email: ") if sys.stdin.isatty() else "")

    async def work(conn: AsyncConnection) -> None:
        await users.create_user(conn, username, email, password, is_superuser=True)

    _in_database(work)
    print(f"Created administrator {username}")


def cmd_apikey(args: argparse.Namespace) -> None:
    async def work(conn: AsyncConnection) -> list[str]:
        user = await users.get_user(conn, args.username)
        if args.generate:
            token = await users.create_token(conn, user["id"], "cli")
            return [f"{token['consumer_key']}:{token['token_key']}:{token['token_secret']}"]
        keys = [t["token"] for t in await users.list_tokens(conn, user["id"])]
        if not keys:
            token = await users.create_token(conn, user["id"], "cli")
            keys = [f"{token['consumer_key']}:{token['token_key']}:{token['token_secret']}"]
        return keys

    for key in _in_database(work):
        print(key)


def cmd_rack_register_command(args: argparse.Namespace) -> None:
    urls = args.url or [rack_secret.rack_url(cfg.load())]
    for url in urls:
        try:
            normalise_url(url)  # refuse here what maas-rack would refuse there
        except ValueError as exc:
            raise CommandError(f"--url: {exc}") from None
    ours = _in_database(cluster.cluster_identity)
    for command in rack_secret.register_commands(urls, ours.secret):
        print(command)


def cmd_db_budget(args: argparse.Namespace) -> None:
    paths = Paths.from_env()
    config = cfg.load(paths)

    async def work(conn: AsyncConnection) -> tuple:
        own = await processes.node_id_of(conn, identity.read(paths.data) or "")
        return await budget.read_server(conn), await budget.live_regions(conn, own)

    server, others = _in_database(work, migrate_first=False)
    mine = budget.RegionNeed(f"{socket.gethostname()}", config.num_workers)
    print(budget.table(server, others, mine))


def _parse_backend(text: str) -> haproxy.Backend:
    address, _, port = text.rpartition(":")
    if not address or not port.isdigit():
        raise CommandError(f"--region {text}: expected ADDRESS:PORT")
    address = address.strip("[]")
    return haproxy.Backend(f"region-{address}-{port}", address, int(port))


def cmd_ha_haproxy(args: argparse.Namespace) -> None:
    if args.region:
        backends = [_parse_backend(r) for r in args.region]
    else:
        async def work(conn: AsyncConnection) -> list[dict]:
            return await processes.live_endpoints(conn)

        seen: dict[tuple[str, int], haproxy.Backend] = {}
        for row in _in_database(work, migrate_first=False):
            key = (str(row["address"]), row["port"])
            seen.setdefault(key, haproxy.Backend(f"{row['hostname']}-{key[0]}-{key[1]}", *key))
        backends = list(seen.values())
        if not backends:
            raise CommandError("no live region is registered: start maas-regiond, or give --region ADDRESS:PORT")
    options = haproxy.HAProxyOptions(
        bind_address=args.bind, bind_port=args.port, inter_ms=args.inter_ms, fall=args.fall,
        rise=args.rise, pidfile=args.pidfile, stats_socket=args.stats_socket)
    sys.stdout.write(haproxy.haproxy_config(backends, options))


def cmd_ha_keepalived(args: argparse.Namespace) -> None:
    try:
        text = keepalived.keepalived_config(keepalived.KeepalivedOptions(
            vip=args.vip, interface=args.interface, priority=args.priority, password=args.password,
            router_id=args.router_id, state=args.state, haproxy_pidfile=args.haproxy_pidfile,
            unicast_peers=tuple(args.peer or ()), unicast_src=args.unicast_src,
            track_weight=args.track_weight, advert_int=args.advert_int))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    sys.stdout.write(text)


def _ask(prompt: str) -> str:
    if not sys.stdin.isatty():
        raise CommandError(f"{prompt.rstrip(': ').lower()} is required (no terminal to ask on)")
    return input(prompt).strip()


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise CommandError("--password is required (no terminal to ask on)")
    first, second = getpass.getpass("Password: "), getpass.getpass("Again: ")
    if first != second:
        raise CommandError("the passwords differ")
    return first


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="maas-region", description="Administer a region controller.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    setter = sub.add_parser("local_config_set", help="change keys of regiond.conf (only those given)")
    getter = sub.add_parser("local_config_get", help="show regiond.conf keys")
    for key, kind in CONFIG_OPTIONS.items():
        flag = "--" + key.replace("_", "-")
        setter.add_argument(flag, dest=key, type=kind, metavar=key.upper())
        getter.add_argument(flag, dest=key, action="store_true")
    setter.set_defaults(func=cmd_local_config_set)
    getter.set_defaults(func=cmd_local_config_get)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(func=cmd_migrate)

    admin = sub.add_parser("createadmin", help="create an administrator account")
    admin.add_argument("--username")
    admin.add_argument("--password")
    admin.add_argument("--email")
    admin.set_defaults(func=cmd_createadmin)

    apikey = sub.add_parser("apikey", help="print a user's API key(s)")
    apikey.add_argument("--username", required=True)
    apikey.add_argument("--generate", action="store_true", help="make a new key")
    apikey.set_defaults(func=cmd_apikey)
    rack_cmd = sub.add_parser(
        "rack-register-command", help="print the command that registers a rack with this cluster",
        description="Print `maas-rack register ...` (and the snap's `maas init rack ...`) with "
                    "this cluster's shared secret; run it on the rack controller.")
    rack_cmd.add_argument("--url", action="append", metavar="URL",
                          help="the region URL racks should use (repeat for several); default: "
                               "regiond.conf's maas_url, else this region's address and port")
    rack_cmd.set_defaults(func=cmd_rack_register_command)
    sub.add_parser("db-budget", help="database connections each region needs, against the server's limit"
                   ).set_defaults(func=cmd_db_budget)

    ha = sub.add_parser("ha", help="front-door configuration (HAProxy, keepalived)")
    ha_sub = ha.add_subparsers(dest="ha_command", required=True, metavar="COMMAND")
    hap = ha_sub.add_parser("haproxy-config", help="print haproxy.cfg for the live regions")
    hap.add_argument("--bind", default="*",
                     help="frontend address (* or the VIP; binding the VIP on hosts that do not "
                          "hold it needs sysctl net.ipv4.ip_nonlocal_bind=1)")
    hap.add_argument("--port", type=int, default=80, help="frontend port (80)")
    hap.add_argument("--region", action="append", metavar="ADDRESS:PORT",
                     help="a backend region (repeat); default: every live region")
    hap.add_argument("--inter-ms", type=int, default=1000, help="health check interval")
    hap.add_argument("--fall", type=int, default=2)
    hap.add_argument("--rise", type=int, default=1)
    hap.add_argument("--pidfile", default="/run/haproxy.pid")
    hap.add_argument("--stats-socket")
    hap.set_defaults(func=cmd_ha_haproxy)
    kad = ha_sub.add_parser("keepalived-config", help="print keepalived.conf holding the VIP")
    kad.add_argument("--vip", required=True, help="the virtual IP, e.g. 10.0.0.100/24")
    kad.add_argument("--interface", required=True)
    kad.add_argument("--priority", type=int, default=100)
    kad.add_argument("--password", default="maas")
    kad.add_argument("--router-id", type=int, default=51)
    kad.add_argument("--state", default="BACKUP", choices=["MASTER", "BACKUP"])
    kad.add_argument("--haproxy-pidfile", default="/run/haproxy.pid")
    kad.add_argument("--peer", action="append", help="unicast peer address (repeat)")
    kad.add_argument("--unicast-src")
    kad.add_argument("--advert-int", type=int, default=1, help="VRRP advert interval, seconds (1)")
    kad.add_argument("--track-weight", type=int, default=0,
                     help="priority change when haproxy is down; 0 (default): FAULT, release the VIP at once")
    kad.set_defaults(func=cmd_ha_keepalived)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ConfigError, CommandError) as exc:
        print(f"maas-region: {exc}", file=sys.stderr)
        sys.exit(1)
    except DomainError as exc:
        print(f"maas-region: {exc.message}", file=sys.stderr)
        sys.exit(1)
    except PermissionError as exc:
        print(f"maas-region: permission denied: {exc.filename}", file=sys.stderr)
        sys.exit(1)
