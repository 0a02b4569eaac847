"""maas-regiond: the region controller daemon, in the foreground.

Start-up: (embedded PostgreSQL if no database is configured) → check the database →
migrate under the advisory lock → refuse while this region's old processes run or the port is
taken → check the connection budget → register this host as a region controller → write the
cluster's shared secret to the data directory and log the rack registration command → serve the API
on `listen_address:listen_port` with `num_workers` processes, which die with this one (see
parent_death.py).  On SIGTERM/SIGINT the workers stop, the region marks itself off, and an
embedded database is stopped.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import uvicorn

from ironworks.common import identity
from ironworks.common.config import ConfigError
from ironworks.common.errors import DomainError
from ironworks.common.protocol import messages as rack_protocol
from ironworks.db.connect import Target, check_reachable, run_in_transaction
from ironworks.db.migrate import migrate
from ironworks.region import parent_death, preflight, rack_secret
from ironworks.region.cluster import budget
from ironworks.region.config import Paths, RegionConfig, load, open_database
from ironworks.region.frontdoor import connections
from ironworks.region.services.controllers import cluster, processes, regions

log = logging.getLogger("maas-regiond")
WORKER_HEALTHCHECK_S = 30


def check_budget(target: Target, data_dir: Path, workers: int) -> None:
    """Refuse to start when the server cannot hold the live regions plus this one."""

    async def work(conn):  # noqa: ANN001, ANN202
        own = await processes.node_id_of(conn, identity.read(data_dir) or "")
        return (await budget.read_server(conn), await budget.live_regions(conn, own))

    server, others = run_in_transaction(target, work)
    verdict = budget.check(server, others, budget.RegionNeed(socket.gethostname(), workers))
    if not verdict.ok:
        raise ConfigError(verdict.message)
    log.info("database connection budget: %d of %d", verdict.need, verdict.available)


def check_free(target: Target, data_dir: Path, address: str, port: int) -> None:
    """Refuse to start while this region's old processes run or the listen port is taken."""
    system_id = identity.read(data_dir)

    async def recorded(conn):  # noqa: ANN001, ANN202
        node_id = await processes.node_id_of(conn, system_id or "")
        return await processes.pids_of(conn, node_id) if node_id is not None else []

    pids = run_in_transaction(target, recorded) if system_id else []
    reason = preflight.refusal(address, port, preflight.old_processes(pids, data_dir))
    if reason:
        raise ConfigError(reason)


def register(target: Target, data_dir: Path) -> str:
    system_id = run_in_transaction(
        target, lambda conn: regions.register_region(conn, socket.gethostname(), identity.read(data_dir)))
    identity.write(data_dir, system_id)
    return system_id


def share_secret(target: Target, data_dir: Path, config: RegionConfig) -> None:
    """Every region keeps the cluster's secret in its data directory (a rack on this host, and
    the operator, find it there) and says how to register a rack."""
    try:
        ours = run_in_transaction(target, cluster.cluster_identity)
    except DomainError as exc:
        raise ConfigError(exc.message) from None
    path = rack_secret.write_secret_file(data_dir, ours.secret)
    # Not the secret itself: logs travel further than the 0640 file.
    command = f'maas-rack register --url {rack_secret.rack_url(config)} --secret "$(cat {path})"'
    log.info("cluster %s; shared secret in %s; register a rack with: %s (or see `maas-region "
             "rack-register-command`)", ours.uuid, path, command)


def _exit_cleanly(signum: int, frame: object) -> None:
    # uvicorn re-raises the signal it caught once it has stopped; with this handler that
    # becomes a normal exit, so the clean-up below (mark off, stop embedded DB) runs.
    raise SystemExit(0)


def serve(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="maas-regiond", description=__doc__.splitlines()[0])
    parser.add_argument("--log-level", default=os.environ.get("MAAS_LOG_LEVEL", "info"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")

    paths = Paths.from_env()
    config = load(paths)
    paths.data.mkdir(parents=True, exist_ok=True)
    with open_database(config, paths.data) as target:
        check_reachable(target)
        before, after = migrate(target)
        if before != after:
            log.info("database schema migrated from %s to %s", before or "empty", after)
        check_free(target, paths.data, config.listen_address, config.listen_port)
        check_budget(target, paths.data, config.num_workers)
        system_id = register(target, paths.data)
        share_secret(target, paths.data, config)
        log.info("region %s serving on %s:%s with %d worker(s)", system_id,
                 config.listen_address, config.listen_port, config.num_workers)
        # Workers build their app from the same files.
        os.environ["MAAS_REGION_CONFIG"] = str(paths.config.resolve())
        os.environ["MAAS_DATA"] = str(paths.data.resolve())
        os.environ[parent_death.MASTER_PID_ENV] = str(os.getpid())  # workers die with us
        signal.signal(signal.SIGTERM, _exit_cleanly)
        try:
            uvicorn.run(
                "ironworks.region.api.app:create_app", factory=True,
                host=config.listen_address, port=config.listen_port,
                workers=config.num_workers if config.num_workers > 1 else None,
                log_level=args.log_level.lower(), access_log=False, proxy_headers=False,
                timeout_graceful_shutdown=5,
                # uvicorn kills a worker that does not answer its supervisor's ping in time; on
                # a loaded host a starting worker can take longer than the 5 s default, and
                # killing it only restarts the same slow start (seen: never registering).
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
                timeout_keep_alive=connections.IDLE_TIMEOUT_S,
                # each answer in one write (frontdoor/wire.py), a bound on the time to send a
                # request's head and on connections per worker (frontdoor/connections.py)
                http=connections.HTTP_PROTOCOL,
                # the rack channel (region/rpc/): pings notice a half-open connection in < 10 s
                ws="websockets-sansio", ws_ping_interval=rack_protocol.PING_INTERVAL_S,
                ws_ping_timeout=rack_protocol.PING_TIMEOUT_S, ws_max_size=rack_protocol.MAX_MESSAGE_BYTES,
                ws_per_message_deflate=False,  # a deflate context per rack costs memory, saves little
            )
        finally:
            run_in_transaction(target, lambda conn: regions.mark_stopped(conn, system_id))
    return 0


def main() -> None:
    try:
        sys.exit(serve())
    except ConfigError as exc:
        print(f"maas-regiond: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(0)
