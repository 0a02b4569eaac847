"""A PostgreSQL primary and a synchronous streaming hot standby, started by a test.

Both run as the unprivileged database user (initdb and the server refuse root), on distinct
loopback addresses with the same port, as two real database hosts would:

    primary  127.0.0.21:PORT   (EmbeddedPostgres, initdb'd here)
    standby  127.0.0.22:PORT   (pg_basebackup -R -X stream of the primary, then started)

The region's role `maas` has a password (scram over TCP); the standby streams as a
replication-only role `replicator`.

Replication is synchronous so that no acknowledged write can be lost on failover:

- on the primary, `synchronous_standby_names = 'FIRST 1 (<standby application_name>)'` and
  `synchronous_commit = on`: a COMMIT returns only after the standby has written *and flushed*
  the commit's WAL to its disk.  Promotion replays every flushed record before the standby
  accepts writes, so every commit a client was told about is there after the failover.
  (`remote_apply` would also wait for the standby to *replay* the record — only needed for
  read-your-writes on a hot standby, which regions never do: they connect with
  `target_session_attrs=read-write` — and it costs commit latency.)
- the standby's `primary_conninfo` carries `application_name=<that name>`, which is how the
  primary recognises it in `synchronous_standby_names`.
- on the standby `synchronous_standby_names` is empty: once promoted it has no standby of its
  own, and a non-empty value would make every commit on the new primary wait forever.

`kill_primary()` crashes the primary (SIGKILL to the postmaster and all its children, by PID),
`promote()` runs `pg_ctl promote` as the database user.  `PgPair` quacks like the harness's
`Cluster` (`.pg`, `.sql`, `.new_database`, `.dsn`), so `ironworks.lab.harness.Region` runs on it with
`write_config(database_host=pair.hosts)`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from ironworks.db.embedded import EmbeddedPostgres, find_bindir
from ironworks.lab.harness import DB_PASSWORD, world_traversable_tempdir

PRIMARY_ADDRESS = "127.0.0.21"
STANDBY_ADDRESS = "127.0.0.22"
STANDBY_NAME = "ironworks_standby"
REPLICATION_USER = "replicator"
REPLICATION_PASSWORD = "ironworks-replication"

# What the primary needs for a synchronous streaming standby (documented in docs/ha.md).
# `synchronous_standby_names` is set (ALTER SYSTEM + reload) only once the standby streams:
# before that, every commit on the primary — even ALTER USER — would wait for it forever.
PRIMARY_SETTINGS = {
    "wal_level": "replica",
    "max_wal_senders": "5",
    "wal_keep_size": "'256MB'",
    "hot_standby": "on",
    "synchronous_commit": "on",
    # Dynamic shared memory as files in the data directory: a killed server leaves nothing
    # behind in /dev/shm, removing the directory cleans up.
    "dynamic_shared_memory_type": "mmap",
}


def _free_port_on(*addresses: str) -> int:
    """A TCP port that is free on every one of `addresses`."""
    for _ in range(100):
        with socket.socket() as first:
            first.bind((addresses[0], 0))
            port = first.getsockname()[1]
            try:
                for address in addresses[1:]:
                    with socket.socket() as other:
                        other.bind((address, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no port free on all of {addresses}")


def _children(pid: int) -> list[int]:
    """PIDs whose parent is `pid` (the postmaster's backends and auxiliary processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces, split after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


class PgPair:
    """A primary and its synchronous hot standby.  Use as a context manager, or call
    `start()` and (always, in a finally) `destroy()`."""

    def __init__(self, primary_address: str = PRIMARY_ADDRESS, standby_address: str = STANDBY_ADDRESS,
                 standby_name: str = STANDBY_NAME) -> None:
        self.primary_address = primary_address
        self.standby_address = standby_address
        self.standby_name = standby_name
        self.base: Path | None = None
        self.port = 0
        self.primary: EmbeddedPostgres | None = None
        self.standby: EmbeddedPostgres | None = None
        self.writable: EmbeddedPostgres | None = None  # the server that currently takes writes
        self._killed_shm: list[int] = []
        self._paused = 0  # a walreceiver we stopped (SIGSTOP)

    # -- what the harness's Region expects of a cluster --------------------------------------
    @property
    def pg(self) -> EmbeddedPostgres:
        """The original primary (the harness reads `.pg.port`; both servers share the port)."""
        assert self.primary is not None
        return self.primary

    @property
    def hosts(self) -> str:
        """`database_host` for a region: primary first, then the standby."""
        return f"{self.primary_address},{self.standby_address}"

    def dsn(self, dbname: str) -> str:
        """A multi-host DSN like the region's (whichever server is writable)."""
        return (f"host={self.hosts} port={self.port},{self.port} dbname={dbname} user=maas "
                f"password={DB_PASSWORD} target_session_attrs=read-write connect_timeout=3")

    def sql(self, dbname: str, statement: str, params: Any = None, *,
            server: EmbeddedPostgres | None = None) -> list[tuple]:
        """SQL on the writable server (or `server`), over its unix socket (trust, owner-only)."""
        pg = server or self.writable
        assert pg is not None
        with psycopg.connect(f"host={pg.socket_dir} port={pg.port} dbname={dbname} user=maas",
                             autocommit=True, connect_timeout=5) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def new_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        self.sql("postgres", f'CREATE DATABASE "{name}"')
        return name

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> "PgPair":
        self.base = world_traversable_tempdir("iw-pgpair-")
        self.port = _free_port_on(self.primary_address, self.standby_address)
        self.primary = EmbeddedPostgres(base=self.base / "primary", port=self.port,
                                        tcp_address=self.primary_address, settings=dict(PRIMARY_SETTINGS))
        self.primary.init()
        self._allow_loopback(self.primary)
        self.primary.start()
        self.writable = self.primary
        # Roles go in before the base backup, so the standby has them too: the region's role
        # with its password, and a replication-only role for the standby's WAL stream.
        self.sql("postgres", f"ALTER USER maas PASSWORD '{DB_PASSWORD}'")
        self.sql("postgres", f"CREATE ROLE {REPLICATION_USER} WITH REPLICATION LOGIN "
                             f"PASSWORD '{REPLICATION_PASSWORD}'")
        self._start_standby()
        self.wait_streaming()
        self.sql("postgres", f"ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ({self.standby_name})'",
                 server=self.primary)
        self.sql("postgres", "SELECT pg_reload_conf()", server=self.primary)
        self.wait_streaming(sync=True)
        return self

    def _allow_loopback(self, pg: EmbeddedPostgres) -> None:
        """initdb only allows 127.0.0.1/32 over TCP; the servers and the regions use other
        loopback addresses (the standby's replication connection among them)."""
        hba = pg.datadir / "pg_hba.conf"
        with hba.open("a") as f:
            f.write("\n# ironworks HA test pair\n"
                    "host all all 127.0.0.0/8 scram-sha-256\n"
                    f"host replication {REPLICATION_USER} 127.0.0.0/8 scram-sha-256\n")

    def _start_standby(self) -> None:
        assert self.base is not None and self.primary is not None
        primary_conninfo = (f"host={self.primary_address} port={self.port} user={REPLICATION_USER} "
                            f"password={REPLICATION_PASSWORD} application_name={self.standby_name}")
        self.standby = EmbeddedPostgres(
            base=self.base / "standby", port=self.port, tcp_address=self.standby_address,
            settings={
                "hot_standby": "on",
                "primary_conninfo": f"'{primary_conninfo}'",
                # Empty on the standby: once promoted, it has no standby to wait for.
                "synchronous_standby_names": "''",
                "synchronous_commit": "on",
                "wal_level": "replica",
                "max_wal_senders": "5",
                "dynamic_shared_memory_type": "mmap",
            })
        self.standby._prepare_dirs()
        result = self.standby._run([
            str(find_bindir() / "pg_basebackup"),
            "-d", f"host={self.primary_address} port={self.port} user={REPLICATION_USER} "
                  f"password={REPLICATION_PASSWORD}",
            "-D", str(self.standby.datadir),
            "-R", "-X", "stream", "-c", "fast", "--no-password",
        ], timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"pg_basebackup failed: {result.stderr.strip()}")
        # start() rewrites postgresql.auto.conf (port, listen address, socket dir, the settings
        # above) over the primary's copy; standby.signal from -R makes it a standby.
        self.standby.start()

    def replication_state(self) -> list[tuple]:
        """(application_name, state, sync_state) for each standby the primary streams to."""
        assert self.primary is not None
        return self.sql("postgres", "SELECT application_name, state, sync_state FROM pg_stat_replication",
                        server=self.primary)

    def wait_streaming(self, sync: bool = False, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.replication_state()
            if any(r[:2] == (self.standby_name, "streaming") and (not sync or r[2] == "sync") for r in rows):
                return
            if time.monotonic() > deadline:
                want = "a synchronous streaming replica" if sync else "streaming"
                raise RuntimeError(f"the standby is not {want}: {rows}")
            time.sleep(0.1)

    def _walreceiver(self) -> int:
        assert self.standby is not None
        postmaster = int((self.standby.datadir / "postmaster.pid").read_text().splitlines()[0])
        for pid in _children(postmaster):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"walreceiver" in title:
                return pid
        raise RuntimeError("the standby has no walreceiver process")

    def pause_replication(self) -> int:
        """SIGSTOP the standby's walreceiver: nothing more reaches the standby's disk, so with
        synchronous replication every commit on the primary waits.  Returns its PID."""
        pid = self._walreceiver()
        os.kill(pid, signal.SIGSTOP)
        self._paused = pid
        return pid

    def resume_replication(self) -> None:
        if self._paused:
            try:
                os.kill(self._paused, signal.SIGCONT)
            except ProcessLookupError:
                pass
            self._paused = 0

    def kill_primary(self) -> float:
        """Crash the primary as a dying host would: SIGKILL to the postmaster and every child
        at once (by PID).  Returns the monotonic time of the kill."""
        assert self.primary is not None
        pidfile = self.primary.datadir / "postmaster.pid"
        lines = pidfile.read_text().splitlines()
        postmaster = int(lines[0])
        # Line 7 of postmaster.pid: "<shm key> <shm id>" of the small SysV interlock segment.
        if len(lines) > 6 and len(lines[6].split()) == 2:
            self._killed_shm.append(int(lines[6].split()[1]))
        victims = [postmaster, *_children(postmaster)]
        at = time.monotonic()
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while not all(_gone(pid) for pid in victims) and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.writable is self.primary:
            self.writable = None
        return at

    def stop_primary(self, mode: str = "fast") -> None:
        assert self.primary is not None
        self.primary.stop(mode)
        if self.writable is self.primary:
            self.writable = None

    def promote(self) -> float:
        """`pg_ctl promote` (waiting until the standby takes writes); returns its duration."""
        assert self.standby is not None
        began = time.monotonic()
        result = self.standby._run([str(find_bindir() / "pg_ctl"), "-D", str(self.standby.datadir),
                                    "-w", "-t", "60", "promote"], timeout=90)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl promote failed: {result.stderr.strip() or result.stdout.strip()}")
        self.writable = self.standby
        return time.monotonic() - began

    def destroy(self) -> None:
        self.resume_replication()
        for pg in (self.standby, self.primary):
            if pg is not None:
                try:
                    pg.stop("immediate")
                except Exception:  # noqa: BLE001 - clean up whatever is left regardless
                    pass
        for shmid in self._killed_shm:  # only the segments of servers we killed ourselves
            subprocess.run(["ipcrm", "-m", str(shmid)], capture_output=True)
        self._killed_shm.clear()
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self) -> "PgPair":
        try:
            return self.start()
        except BaseException:
            self.destroy()
            raise

    def __exit__(self, *exc: object) -> None:
        self.destroy()

