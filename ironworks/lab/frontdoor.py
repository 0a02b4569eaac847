"""The HA lab's front door: a real HAProxy running the config `maas-region ha haproxy-config`
generates, in the foreground and its own session, stopped by its PID."""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Iterable

from ironworks.lab.harness import Region
from ironworks.lab.hosts import LabError, stop_process, wait_for

HAPROXY_ADDRESS = "127.0.0.10"


def require_haproxy() -> str:
    path = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(p, os.X_OK)), None)
    if not path:
        raise LabError("haproxy is not installed: the region HA tests run the real HAProxy "
                       "(Debian package `haproxy`: apt-get install -y haproxy)")
    return path


def generated_haproxy_config(region: Region, *, bind: str, port: int, pidfile: Path,
                             stats_socket: Path | None = None, extra: Iterable[str] = ()) -> str:
    """What `maas-region ha haproxy-config` prints for the live regions (run as region's admin)."""
    args = ["maas-region", "ha", "haproxy-config", "--bind", bind, "--port", str(port),
            "--pidfile", str(pidfile)]
    if stats_socket:
        args += ["--stats-socket", str(stats_socket)]
    return region.run(*args, *extra).stdout


class HAProxy:
    """A real haproxy in the foreground (`-db`), in its own session, stopped by its PID."""

    def __init__(self, config: str, workdir: Path, *, bind: str, port: int,
                 stats_socket: Path | None = None) -> None:
        self.binary = require_haproxy()
        self.workdir = workdir
        self.cfg = workdir / "haproxy.cfg"
        self.cfg.write_text(config)
        self.bind, self.port = bind, port
        self.stats_socket = stats_socket
        self.process: subprocess.Popen | None = None
        self.logfile = workdir / "haproxy.log"

    @property
    def url(self) -> str:
        return f"http://{self.bind}:{self.port}/MAAS/"

    def start(self, timeout: float = 20) -> None:
        check = subprocess.run([self.binary, "-c", "-f", str(self.cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            raise LabError(f"haproxy rejects the generated config: {check.stdout}{check.stderr}\n"
                           f"{self.cfg.read_text()}")
        log = open(self.logfile, "ab")
        try:
            self.process = subprocess.Popen([self.binary, "-f", str(self.cfg), "-db"], stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        finally:
            log.close()

        def listening() -> bool:
            if self.process.poll() is not None:
                raise LabError(f"haproxy exited with {self.process.returncode}: "
                               f"{self.logfile.read_text(errors='replace')[-2000:]}")
            with socket.create_connection((self.bind, self.port), timeout=1):
                return True

        wait_for(f"haproxy to listen on {self.bind}:{self.port}", listening, timeout)

    def stop(self) -> None:
        stop_process(self.process, timeout=10)

    def servers(self) -> dict[str, str]:
        """Backend server name → status (UP, DOWN, ...), from the stats socket."""
        return {name: row["status"] for name, row in self.counters().items()
                if name not in ("FRONTEND", "BACKEND")}

    def wait_all_up(self, count: int, timeout: float = 20) -> dict[str, str]:
        """Wait until `count` backends are fully UP (checked, not "UP 1/2": not yet checked)."""
        return wait_for(f"{count} haproxy backends UP", lambda: (
            (s := self.servers()) and sum(v == "UP" for v in s.values()) == count and s), timeout)

    def counters(self) -> dict[str, dict[str, str]]:
        """Rows of `show stat` (name → columns: stot, wretr, wredis, eresp, econ...)."""
        if not self.stats_socket:
            raise LabError("haproxy was configured without a stats socket")
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.stats_socket))
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        rows = csv.DictReader(io.StringIO(data.decode().lstrip("# ")))
        return {r["svname"]: r for r in rows if r["pxname"] == "maas"}
