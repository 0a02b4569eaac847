"""The HA lab: several real `maas-regiond` hosts on one PostgreSQL.  The HAProxy in front of them
is in frontdoor.py, the client load in loadgen.py.  Shared by tests/ha/ and bench/region_failover.py.

Everything runs on loopback (127.0.0.0/8).  Every process started here gets its own session
(`start_new_session=True`); it is stopped by its PID, and the members of that session (a
region's worker processes) by theirs — never by name.

A "host" is simulated by a UTS namespace (`unshare --uts`, its own hostname) and a loopback
address: a region identifies itself by hostname and by the `maas_id` in its data directory, so
three regions on one machine need three of each, exactly like three machines.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import httpx

from ironworks.db.embedded import EmbeddedPostgres
from ironworks.lab.harness import (
    BIN,
    DB_PASSWORD,
    Cluster,
    Region,
    free_port,
    world_traversable_tempdir,
)

# Each test module uses its own addresses, so modules running in parallel (pytest -n) never
# compete for an address:port.
REGION_ADDRESSES = ("127.0.0.11", "127.0.0.12", "127.0.0.13")


class LabError(AssertionError):
    """The lab cannot run (a missing program) or a step of it failed: a test failure, not a skip."""


def require_unshare() -> str:
    path = shutil.which("unshare")
    if not path:
        raise LabError("unshare (util-linux) is needed to give each lab region its own hostname")
    return path


def wait_for(what: str, predicate: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """Poll until `predicate()` is truthy; returns its value, or fails naming `what`."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - reported below if it never succeeds
            last_exc = exc
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout:.0f} s waiting for {what}"
                           + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(interval)


def free_port_on(*addresses: str) -> int:
    """A TCP port that is free on every one of `addresses` right now."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind((addresses[0], 0))
            port = first.getsockname()[1]
            try:
                for address in addresses[1:]:
                    with socket.socket() as s:
                        s.bind((address, port))
            except OSError:
                continue
            return port
    raise LabError(f"no common free port on {addresses}")


# -- processes ------------------------------------------------------------------------------

def session_members(sid: int) -> list[int]:
    """PIDs of the live processes in session `sid` (a session this lab created)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            found.append(int(entry))
    return found


def _exited_unreaped(process: subprocess.Popen, timeout: float) -> bool:
    """Wait up to `timeout` for the leader to exit WITHOUT reaping it: while it is a zombie its
    PID (which is also its session id) cannot be reused, so the session still names only ours."""
    if process.returncode is not None:
        return True
    deadline = time.monotonic() + timeout
    while True:
        try:
            info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        if info is not None:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def kill_session(process: subprocess.Popen, sig: int = signal.SIGKILL) -> list[int]:
    """Send `sig` to the leader (started by us with start_new_session=True) and to every member
    of its session, each by PID.  Returns the PIDs signalled."""
    if process.returncode is not None:
        return []
    pids = sorted(set(session_members(process.pid)) | {process.pid})
    _signal_all(pids, sig)
    return pids


def kill9_session(process: subprocess.Popen) -> list[int]:
    """`kill -9` a process started with its own session, and every member, each by PID."""
    pids = kill_session(process, signal.SIGKILL)
    _exited_unreaped(process, 10)
    _signal_all(session_members(process.pid), signal.SIGKILL)  # anything forked meanwhile
    process.wait(10)
    return pids


def launch_as_host(hostname: str, argv: list[str], *, env: dict[str, str], log: Path,
                   wrapper: Sequence[str] = ()) -> subprocess.Popen:
    """Start `argv` with UTS hostname `hostname` in a new session, output appended to `log`.
    Every step execs (wrapper, unshare, sh), so the Popen's PID is the program's own."""
    require_unshare()
    out = open(log, "ab")
    try:
        return subprocess.Popen(
            [*wrapper, "unshare", "--uts", "--", "sh", "-c", 'hostname "$1" && shift && exec "$@"',
             "sh", hostname, *argv],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    finally:
        out.close()  # the child has its own copy


def stop_process(process: subprocess.Popen | None, timeout: float = 20) -> None:
    """SIGTERM the leader; SIGKILL it and its session if it does not exit in time; SIGKILL any
    member of its session left behind (workers whose master died); then reap the leader."""
    if process is None or process.returncode is not None:
        return
    _signal_all([process.pid], signal.SIGTERM)
    if not _exited_unreaped(process, timeout):
        kill_session(process, signal.SIGKILL)
        _exited_unreaped(process, 10)
    _signal_all([p for p in session_members(process.pid) if p != process.pid], signal.SIGKILL)
    process.wait()


# -- the database ---------------------------------------------------------------------------

class LabCluster(Cluster):
    """A PostgreSQL server of its own for the lab, optionally with server settings
    (e.g. a small max_connections)."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:  # noqa: D107
        self.base = world_traversable_tempdir("iw-pg-lab-")
        self.pg = EmbeddedPostgres(base=self.base, port=free_port(), tcp_address="127.0.0.1",
                                   settings=dict(settings or {}))
        self.pg.start()
        self.sql("postgres", f"ALTER USER maas PASSWORD '{DB_PASSWORD}'")


# -- regions --------------------------------------------------------------------------------

@dataclass
class LabRegion(Region):
    """A region "host": its own hostname (UTS namespace), loopback address and data directory."""

    address: str = "127.0.0.1"
    hostname: str = ""
    workers: int = 1

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}/MAAS/"

    @property
    def logfile(self) -> Path:
        return self.home / "regiond.log"

    def log_text(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def system_id(self) -> str:
        return (self.home / "data" / "maas_id").read_text().strip()

    def configure(self, **extra: Any) -> None:
        self.write_config(listen_address=self.address, num_workers=self.workers, **extra)

    def launch(self) -> subprocess.Popen:
        """Start maas-regiond in its own session and UTS namespace; do not wait."""
        self.process = launch_as_host(self.hostname, [str(BIN / "maas-regiond")], env=self.command_env(),
                                      log=self.logfile, wrapper=self.wrapper())
        return self.process

    def wrapper(self) -> list[str]:
        """What the command runs inside of (e.g. `ip netns exec NS`): nothing, on loopback."""
        return []

    def start(self, timeout: float = 90) -> None:
        self.launch()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90) -> None:
        """Serving HTTP, and every worker process registered."""
        deadline = time.monotonic() + timeout

        def serving() -> bool:
            if self.process.poll() is not None:
                raise LabError(f"maas-regiond ({self.hostname}) exited with {self.process.returncode}: "
                               f"{self.log_text()[-2000:]}")
            return httpx.get(self.url + "api/2.0/version/", timeout=2).status_code == 200

        wait_for(f"{self.hostname} to serve on {self.url}", serving, timeout)
        wait_for(f"{self.hostname}'s {self.workers} worker(s) to register",
                 lambda: self.live_processes() >= self.workers, max(deadline - time.monotonic(), 5))

    def live_processes(self) -> int:
        rows = self.sql("SELECT count(*) FROM region_process p JOIN node n ON n.id = p.node_id "
                        "WHERE n.system_id = %s", (self.system_id,))
        return rows[0][0]

    def kill9(self) -> list[int]:
        """`kill -9` the whole region: master and workers, each by PID.  Returns the PIDs."""
        return kill9_session(self.process)

    def stop(self) -> None:
        stop_process(self.process)

    def rpc(self) -> dict:
        return httpx.get(self.url + "rpc/", timeout=10).json()


def make_regions(cluster: Cluster, count: int, *, workers: int = 2, dbname: str | None = None,
                 addresses: Iterable[str] = REGION_ADDRESSES, port: int | None = None,
                 prefix: str = "region") -> list[LabRegion]:
    """`count` region hosts (configured, not started) sharing one database."""
    dbname = dbname or cluster.new_database()
    addresses = tuple(addresses)[:count]
    port = port or free_port_on(*addresses)
    regions = []
    for i, address in zip(range(count), addresses):
        home = world_traversable_tempdir(f"iw-{prefix}-{i}-")
        r = LabRegion(cluster, dbname, port, home, address=address,
                      hostname=f"{prefix}-{chr(ord('a') + i)}", workers=workers)
        r.configure()
        regions.append(r)
    return regions


def start_regions(regions: list[LabRegion], timeout: float = 120) -> str:
    """Start the regions one after the other (the first migrates the database); create an admin
    on the first and return its API key."""
    for r in regions:
        r.start(timeout)
    key = regions[0].create_user("admin", admin=True).apikey or ""
    for r in regions:
        r.apikey = key
    return key


def cleanup_regions(regions: Iterable[LabRegion]) -> None:
    for r in regions:
        try:
            r.stop()
        finally:
            shutil.rmtree(r.home, ignore_errors=True)


def regiond_statuses(region: LabRegion) -> dict[str, tuple[str, str]]:
    """hostname → (regiond status, status_info), as this region's API shows them
    (`maas admin region-controllers read`: GET regioncontrollers/, each with its service_set)."""
    response = region.client().get("regioncontrollers/")
    if response.status_code != 200:
        raise LabError(f"region-controllers read on {region.hostname}: {response.status_code} "
                       f"{response.text[:200]}")
    out = {}
    for rc in response.json():
        for svc in rc.get("service_set", []):
            if svc["name"] == "regiond":
                out[rc["hostname"]] = (svc["status"], svc.get("status_info", ""))
    return out


def rpc_hosts(document: dict) -> dict[str, set[tuple[str, int]]]:
    """hostname → endpoints, from a `/MAAS/rpc/` document."""
    out: dict[str, set[tuple[str, int]]] = {}
    for key, endpoints in document["eventloops"].items():
        host = key.rsplit(":pid=", 1)[0]
        out.setdefault(host, set()).update((a, p) for a, p in endpoints)
    return out


def connect(cluster: Cluster, dbname: str, **kw: Any):  # noqa: ANN201
    """A psycopg connection to the lab's database over the server's unix socket."""
    import psycopg

    return psycopg.connect(f"host={cluster.pg.socket_dir} port={cluster.pg.port} dbname={dbname} "
                           "user=maas", **kw)


def lab_tempdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
