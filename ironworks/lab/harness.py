"""Test harness: a real PostgreSQL started by the test session, and real `maas-regiond`
processes serving real HTTP on loopback.  Nothing here is mocked."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml

from ironworks.db.embedded import EmbeddedPostgres
from ironworks.region.api.auth import plaintext_header

BIN = Path(sys.executable).parent
API = "/MAAS/api/2.0/"
DB_PASSWORD = "ironworks-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def world_traversable_tempdir(prefix: str) -> Path:
    """A temp dir the unprivileged database user can reach (pytest's tmp dirs are 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


class Cluster:
    """One PostgreSQL server on 127.0.0.1, shared by a test process; a database per region."""

    def __init__(self) -> None:
        self.base = world_traversable_tempdir("iw-pg-")
        self.pg = EmbeddedPostgres(base=self.base, port=free_port(), tcp_address="127.0.0.1")
        self.pg.start()
        try:
            self.sql("postgres", f"ALTER USER maas PASSWORD '{DB_PASSWORD}'")
        except BaseException:
            self.destroy()  # the fixture never got the cluster, so it cannot clean it up
            raise

    def dsn(self, dbname: str) -> str:
        return (f"host=127.0.0.1 port={self.pg.port} dbname={dbname} user=maas "
                f"password={DB_PASSWORD}")

    def sql(self, dbname: str, statement: str, params: Any = None) -> list[tuple]:
        # Over the unix socket (trust, owner-only): the test process is root or the owner.
        with psycopg.connect(f"host={self.pg.socket_dir} port={self.pg.port} dbname={dbname} user=maas",
                             autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def new_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        self.sql("postgres", f'CREATE DATABASE "{name}"')
        return name

    def destroy(self) -> None:
        self.pg.destroy()


class APIClient:
    """Signed (or anonymous) calls to a region's 2.0 API; returns httpx responses."""

    def __init__(self, base: str, apikey: str | None) -> None:
        self.base = base.split("/MAAS")[0].rstrip("/")  # the server root
        self.apikey = apikey
        self.http = httpx.Client(timeout=60)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": plaintext_header(self.apikey)} if self.apikey else {}

    def url(self, path: str) -> str:
        return self.base + API + path.lstrip("/")

    def request(self, method: str, path: str, *, params: Any = None, data: Any = None,
                files: Any = None, **kw: Any) -> httpx.Response:
        return self.http.request(method, self.url(path), params=params, data=data, files=files,
                                 headers={**self._headers(), **kw.pop("headers", {})}, **kw)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, data: Any = None, *, op: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, params={"op": op} if op else None, data=data, **kw)

    def put(self, path: str, data: Any = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, data=data, **kw)

    def delete(self, path: str, **params: Any) -> httpx.Response:
        return self.request("DELETE", path, params=params or None)


@dataclass
class Region:
    """A running `maas-regiond` with its own config file, data directory and database."""

    cluster: Cluster
    dbname: str
    port: int
    home: Path
    process: subprocess.Popen | None = None
    apikey: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/MAAS/"

    def write_config(self, **extra: Any) -> None:
        conf = {"database_host": "127.0.0.1", "database_port": self.cluster.pg.port,
                "database_name": self.dbname, "database_user": "maas",
                "database_pass": DB_PASSWORD, "num_workers": 1, "listen_address": "127.0.0.1",
                "listen_port": self.port, "maas_url": self.url, **extra}
        (self.home / "regiond.conf").write_text(yaml.safe_dump(conf))

    def command_env(self) -> dict[str, str]:
        return {**os.environ, "MAAS_REGION_CONFIG": str(self.home / "regiond.conf"),
                "MAAS_DATA": str(self.home / "data"), **self.env}

    def run(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        """Run one of our commands (maas-region, maas) with this region's environment."""
        result = subprocess.run([str(BIN / args[0]), *args[1:]], env=self.command_env(),
                                capture_output=True, text=True, input=input, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed ({result.returncode}): {result.stderr}")
        return result

    def start(self, timeout: float = 60) -> None:
        log = open(self.home / "regiond.log", "ab")
        self.process = subprocess.Popen([str(BIN / "maas-regiond")], env=self.command_env(),
                                        stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"maas-regiond exited: {(self.home / 'regiond.log').read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "api/2.0/version/", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("maas-regiond did not start in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def create_user(self, username: str, *, admin: bool) -> APIClient:
        """A user and a client signed with a fresh key of theirs."""
        if admin:
            self.run("maas-region", "createadmin", "--username", username, "--password", "secret",
                     "--email", f"{username}@example.com")
        else:
            self.client().post("users/", {"username": username, "password": "secret",
                                          "email": f"{username}@example.com", "is_superuser": "0"})
        key = self.run("maas-region", "apikey", "--username", username, "--generate").stdout.strip()
        return APIClient(self.url, key)

    def client(self, apikey: str | None = ...) -> APIClient:  # type: ignore[assignment]
        return APIClient(self.url, self.apikey if apikey is ... else apikey)

    def sql(self, statement: str, params: Any = None) -> list[tuple]:
        """Direct SQL on this region's database: for fixture rows no API creates yet (e.g. racks,
        which register over the rack channel) and for checking what was stored."""
        return self.cluster.sql(self.dbname, statement, params)


def start_region(cluster: Cluster, **config: Any) -> Region:
    region = Region(cluster, cluster.new_database(), free_port(), world_traversable_tempdir("iw-region-"))
    region.write_config(**config)
    region.start()
    key = region.create_user("admin", admin=True)
    region.apikey = key.apikey or ""
    return region
