"""A private PostgreSQL cluster inside the region's data directory (the embedded default).

`initdb` refuses to run as root, so when we are root the cluster belongs to an unprivileged
system user (created on first use).  By default the server listens only on a unix socket in
the data directory; tests may also give it a loopback TCP address.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ironworks.common.config import ConfigError

SYSTEM_USER = "maas"


def find_bindir() -> Path:
    """The directory of PostgreSQL's server programs (initdb, pg_ctl, postgres)."""
    override = os.environ.get("IRONWORKS_PG_BINDIR")
    candidates = [override] if override else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for cand in candidates:
        if cand and (Path(cand) / "initdb").exists():
            return Path(cand)
    raise ConfigError(
        "PostgreSQL server programs (initdb, pg_ctl) were not found: install postgresql "
        "or set IRONWORKS_PG_BINDIR"
    )


def _version_key(path: str) -> int:
    try:
        return int(Path(path).parent.name)
    except ValueError:
        return 0


def ensure_system_user(name: str = SYSTEM_USER) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", name],
        check=True, capture_output=True,
    )
    return pwd.getpwnam(name)


@dataclass
class EmbeddedPostgres:
    """One cluster: `base/data` holds the cluster, `base/run` its socket, `base/postgres.log`."""

    base: Path
    port: int = 5432
    tcp_address: str = ""  # "" = unix socket only
    superuser: str = SYSTEM_USER
    settings: dict[str, str] = field(default_factory=dict)
    _started_here: bool = False

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "run"

    @property
    def logfile(self) -> Path:
        return self.base / "postgres.log"

    @property
    def host(self) -> str:
        """What a client puts in `host=`: the TCP address if there is one, else the socket dir."""
        return self.tcp_address or str(self.socket_dir)

    # -- running programs as the cluster's owner -------------------------------------------
    def _owner(self) -> pwd.struct_passwd | None:
        return ensure_system_user() if os.geteuid() == 0 else None

    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        owner = self._owner()
        extra = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []} if owner else {}
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        return subprocess.run(args, capture_output=True, text=True, env=env, cwd="/", **extra, **kw)

    def _prepare_dirs(self) -> None:
        owner = self._owner()
        for path in (self.base, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            if owner:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        if owner:
            self._check_reachable(owner)

    def _check_reachable(self, owner: pwd.struct_passwd) -> None:
        probe = subprocess.run(
            ["test", "-w", str(self.base)], user=owner.pw_uid, group=owner.pw_gid,
            extra_groups=[], capture_output=True,
        )
        if probe.returncode != 0:
            raise ConfigError(
                f"the database user '{owner.pw_name}' cannot reach {self.base}: make every "
                "directory above it traversable (chmod o+x) or choose another MAAS_DATA"
            )

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def init(self) -> None:
        if self.initialised:
            return
        self._prepare_dirs()
        bindir = find_bindir()
        result = self._run([
            str(bindir / "initdb"), "-D", str(self.datadir), "-U", self.superuser,
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-instructions",
        ])
        if result.returncode != 0:
            raise ConfigError(f"initdb failed: {_last_line(result.stderr)}")

    def _conf_lines(self) -> list[str]:
        base = {
            "listen_addresses": f"'{self.tcp_address}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "unix_socket_permissions": "0700",
            "max_connections": "300",
            "shared_buffers": "128MB",
            "fsync": "on",
            "logging_collector": "off",
        }
        base.update(self.settings)
        return [f"{k} = {v}" for k, v in base.items()]

    def running(self) -> bool:
        if not self.initialised:
            return False
        result = self._run([str(find_bindir() / "pg_ctl"), "-D", str(self.datadir), "status"])
        return result.returncode == 0

    def start(self) -> bool:
        """Start the cluster if it is not running; True when this call started it."""
        self.init()
        if self.running():
            return False
        self._prepare_dirs()
        (self.datadir / "postgresql.auto.conf").write_text("\n".join(self._conf_lines()) + "\n")
        owner = self._owner()
        if owner:
            os.chown(self.datadir / "postgresql.auto.conf", owner.pw_uid, owner.pw_gid)
        result = self._run([
            str(find_bindir() / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile),
            "-w", "-t", "60", "start",
        ])
        if result.returncode != 0:
            tail = self.logfile.read_text().strip().splitlines()[-1:] if self.logfile.exists() else []
            raise ConfigError(
                f"the embedded PostgreSQL in {self.datadir} did not start: "
                f"{tail[0] if tail else _last_line(result.stderr)}"
            )
        self._started_here = True
        return True

    def stop(self, mode: str = "fast") -> None:
        if not self.initialised:
            return
        self._run([str(find_bindir() / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop"])

    def kill(self) -> None:
        """Crash the server (SIGKILL to the postmaster, by its PID) — for failure tests."""
        pidfile = self.datadir / "postmaster.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text().splitlines()[0])
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def create_database(self, name: str, owner: str | None = None) -> None:
        args = [str(find_bindir() / "psql"), "-h", str(self.socket_dir), "-p", str(self.port),
                "-U", self.superuser, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-tAc"]
        exists = self._run(args + [f"SELECT 1 FROM pg_database WHERE datname = '{name}'"])
        if exists.stdout.strip() == "1":
            return
        sql = f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else "")
        result = self._run(args + [sql])
        if result.returncode != 0:
            raise ConfigError(f"could not create database {name}: {_last_line(result.stderr)}")


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
