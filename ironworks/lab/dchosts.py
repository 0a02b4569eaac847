"""Daemons on data centre hosts: a region (`NsRegion`) and a rack (`LabRack`), each run inside
its host's network namespace with a hostname of its own (UTS namespace) and in a session of its
own, so it is stopped by PID with every process it forked."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ironworks.lab.harness import BIN, world_traversable_tempdir
from ironworks.lab.hosts import (
    LabRegion,
    kill9_session,
    launch_as_host,
    require_unshare,
    stop_process,
)
from ironworks.lab.netns import LabError


@dataclass
class NsRegion(LabRegion):
    """A region listening on its namespace's address; PostgreSQL is reached over the cluster's
    unix socket (sockets are files: they work across network namespaces)."""

    netns: str = ""

    def wrapper(self) -> list[str]:
        return ["ip", "netns", "exec", self.netns]

    def configure(self, **extra: Any) -> None:
        # The socket is trust-authenticated and owner-only: the lab runs as root.
        super().configure(**{"database_host": str(self.cluster.pg.socket_dir),
                             "database_pass": "", **extra})

    def close(self) -> None:
        try:
            stop_process(self.process, timeout=5)
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


@dataclass
class LabRack:
    """A rack controller host: `maas-rack register` and `maas-rackd` with their own rackd.conf
    ($MAAS_CLUSTER_CONFIG), data directory ($MAAS_DATA) and log file, inside namespace `netns`."""

    netns: str
    hostname: str
    home: Path = field(default_factory=lambda: world_traversable_tempdir("iw-rack-"))
    bin_dir: Path = BIN
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def config_path(self) -> Path:
        return self.home / "rackd.conf"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def logfile(self) -> Path:
        return self.home / "rackd.log"

    @property
    def system_id(self) -> str:
        return (self.data_dir / "maas_id").read_text().strip()

    def command_env(self) -> dict[str, str]:
        return {**os.environ, "MAAS_CLUSTER_CONFIG": str(self.config_path),
                "MAAS_DATA": str(self.data_dir), **self.env}

    def program(self, name: str) -> str:
        path = self.bin_dir / name
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LabError(f"{name} is not installed at {path} (the rack's console script: "
                           "`pip install -e .` in the venv)")
        return str(path)

    def register(self, urls: list[str], secret: str, *extra: str,
                 timeout: float = 120) -> subprocess.CompletedProcess:
        """`maas-rack register --url U ... --secret S`, run as this host; not checked."""
        require_unshare()
        args = [arg for url in urls for arg in ("--url", url)]
        return subprocess.run(
            ["ip", "netns", "exec", self.netns, "unshare", "--uts", "--", "sh", "-c",
             'hostname "$1" && shift && exec "$@"', "sh", self.hostname,
             self.program("maas-rack"), "register", *args, "--secret", secret, *extra],
            env=self.command_env(), capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL)

    def start(self) -> subprocess.Popen:
        """Spawn `maas-rackd` (a foreground daemon) as this host; does not wait for anything."""
        if self.running():
            raise LabError(f"rack {self.hostname} is running already (pid {self.process.pid})")  # type: ignore[union-attr]
        self.process = launch_as_host(self.hostname, [self.program("maas-rackd")],
                                      env=self.command_env(), log=self.logfile,
                                      wrapper=["ip", "netns", "exec", self.netns])
        return self.process

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> list[int]:
        """`kill -9` the rack and everything it forked (Kea, ...), each by PID."""
        return kill9_session(self.process) if self.process else []

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, wait up to `timeout`, then SIGKILL the session."""
        stop_process(self.process, timeout)

    def log_text(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def close(self) -> None:
        try:
            self.stop(timeout=5)
        finally:
            shutil.rmtree(self.home, ignore_errors=True)
