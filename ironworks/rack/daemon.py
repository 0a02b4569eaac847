"""maas-rackd: the rack controller daemon, in the foreground.

Reads rackd.conf (`$MAAS_CLUSTER_CONFIG`, else /etc/maas/rackd.conf) and its data directory
(`$MAAS_DATA`, else /var/lib/maas: the shared secret, its system id, the cluster's UUID, the
cached region addresses), keeps a channel to every region, registers and reports.  A change of
rackd.conf or of the secret file (`maas-rack register`) restarts the channel within seconds.
Exits non-zero with one line when it cannot run: no secret or region URL, or a region refused it
for good (its identity was deleted — it then forgets the identity and secret —, or it belongs
to another MAAS)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path

from ironworks import __version__
from ironworks.common.config import ConfigError, data_dir_from_env
from ironworks.common.protocol import messages as m
from ironworks.rack import interfaces as host_interfaces
from ironworks.rack.agent import RackAgent
from ironworks.rack.channel import Channel, Discovery, RackIdentity
from ironworks.rack.config import rack_config_file
from ironworks.rack.link import ChannelRefused
from ironworks.rack.services import service_statuses
from ironworks.rack.state import RackState

log = logging.getLogger("maas-rackd")
WATCH_S = 2.0


def _fingerprint(paths: list[Path]) -> tuple:
    found = []
    for path in paths:
        try:
            st = path.stat()
            found.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except FileNotFoundError:
            found.append(None)
    return tuple(found)


class Rackd:
    def __init__(self) -> None:
        self.state = RackState(data_dir_from_env())
        self.config_file = rack_config_file()
        self.stopping = asyncio.Event()

    @property
    def watched(self) -> list[Path]:
        return [self.config_file.path, self.state.secret_path]

    def _check_ready(self) -> list[str]:
        urls = list(self.config_file.load().maas_url)
        if self.state.secret() is None:
            raise ConfigError(f"no shared secret in {self.state.secret_path}: run "
                              "`maas-rack register --url URL --secret SECRET`")
        if not urls and not self.state.cached_endpoints():
            raise ConfigError(f"no region URL in {self.config_file.path}: run "
                              "`maas-rack register --url URL --secret SECRET`")
        return urls

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        while not self.stopping.is_set():
            self._check_ready()
            outcome = await self._run_channel()
            if isinstance(outcome, ChannelRefused):
                return self._refused(outcome)
            if outcome == "changed":
                log.info("rackd.conf or the secret changed: reconnecting with the new settings")
        log.info("stopped")
        return 0

    async def _run_channel(self) -> object:
        hostname = socket.gethostname()
        agent = RackAgent(self.state, hostname, __version__, host_interfaces.discover_interfaces,
                           service_statuses)
        identity = RackIdentity(hostname, __version__, self._secret, self.state.system_id,
                                self.state.cluster_uuid)
        discovery = Discovery(self._urls, self.state.cached_endpoints, self.state.cache_endpoints)
        channel = agent.channel = Channel(identity, discovery, agent.on_push, agent.on_welcome)
        tasks = [asyncio.create_task(channel.run()), asyncio.create_task(agent.run())]
        watcher = asyncio.create_task(self._watch())
        stop = asyncio.create_task(self.stopping.wait())
        try:
            done, _ = await asyncio.wait([channel.refused, watcher, stop, *tasks],
                                         return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if task in done and task.exception() is not None:
                    raise task.exception()  # a bug: let it show
            if channel.refused in done:
                return channel.refused.result()
            return "changed" if watcher in done else "stop"
        finally:
            for task in (*tasks, watcher, stop):
                task.cancel()
            await asyncio.gather(*tasks, watcher, stop, return_exceptions=True)
            await channel.close()

    def _secret(self) -> bytes | None:
        try:
            return self.state.secret()
        except ConfigError as exc:  # spoiled while running: nothing to prove the rack with
            raise ChannelRefused(m.REFUSED_SECRET, str(exc)) from None

    def _urls(self) -> list[str]:
        try:
            return list(self.config_file.load().maas_url)
        except ConfigError as exc:  # edited while running: the cached addresses still work
            log.error("%s", exc)
            return []

    async def _watch(self) -> None:
        before = _fingerprint(self.watched)
        while _fingerprint(self.watched) == before:
            await asyncio.sleep(WATCH_S)

    def _refused(self, refused: ChannelRefused) -> int:
        if refused.reason == m.REFUSED_DELETED:
            self.state.wipe()
            log.error("%s", refused)
            log.error("this rack has forgotten its identity and secret; run `maas-rack register --url URL "
                      "--secret SECRET` to register it again")
        else:
            log.error("%s", refused)
        return 1


def main() -> None:
    parser = argparse.ArgumentParser(prog="maas-rackd", description=__doc__.splitlines()[0])
    parser.add_argument("--log-level", default=os.environ.get("MAAS_LOG_LEVEL", "info"))
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        sys.exit(asyncio.run(Rackd().run()))
    except ConfigError as exc:
        print(f"maas-rackd: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(0)
