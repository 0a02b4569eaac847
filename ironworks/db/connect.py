"""How the region reaches PostgreSQL: libpq connection strings, engines, and one-line errors."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Awaitable, Callable, Iterator, TypeVar

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ironworks.common.config import ConfigError
from ironworks.db.embedded import EmbeddedPostgres

T = TypeVar("T")

CONNECT_TIMEOUT_S = 3
# Connections each region worker process keeps for requests; the dedicated sessions (change
# feed, singleton lock) come on top.  See ironworks/region/cluster/budget.py and docs/ha.md.
POOL_SIZE = 5
# How long a request may wait for one of them before the region answers 503 (busy) rather
# than queueing it further; admission control (region/api/admission.py) keeps the queue short.
POOL_WAIT_S = 3.0


@dataclass(frozen=True)
class Target:
    """A database server (or several, for libpq multi-host failover) and the credentials."""

    host: str
    port: int
    name: str
    user: str
    password: str | None

    @property
    def conninfo(self) -> str:
        return self.conninfo_for("maas-regiond")

    def conninfo_for(self, application_name: str) -> str:
        """`application_name` tells, in pg_stat_activity, which region process (and which of
        its dedicated sessions) a connection belongs to."""
        hosts = [h.strip() for h in self.host.split(",") if h.strip()]
        kw = dict(
            host=",".join(hosts),
            port=",".join([str(self.port)] * len(hosts)),
            dbname=self.name,
            user=self.user,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=application_name,
            # Notice a dead server (or network) on an idle session within ~10 s.
            keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
        )
        if len(hosts) > 1:
            kw["target_session_attrs"] = "read-write"
        if self.password:
            kw["password"] = self.password
        return make_conninfo(**kw)

    def describe(self) -> str:
        return f"{self.host} port {self.port}"


def explain(exc: BaseException, target: Target) -> str:
    """A one-line reason for a failed connection, naming host and port."""
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("Is the server")]
    cause = lines[-1] if lines else type(exc).__name__
    if cause.startswith("connection failed: "):
        cause = cause[len("connection failed: "):]
    return f"cannot connect to the database at {target.describe()} ({target.name} as {target.user}): {cause}"


def check_reachable(target: Target) -> None:
    try:
        with psycopg.connect(target.conninfo) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        raise ConfigError(explain(exc, target)) from None


def sync_engine(target: Target) -> Engine:
    return create_engine(
        "postgresql+psycopg://",
        creator=lambda: psycopg.connect(target.conninfo),
        poolclass=None,
        pool_size=1,
        max_overflow=0,
        hide_parameters=True,  # values may be secrets (passwords, token secrets): never log them
    )


def async_engine(target: Target, pool_size: int = POOL_SIZE,
                 application_name: str = "maas-regiond") -> AsyncEngine:
    conninfo = target.conninfo_for(application_name)
    engine = create_async_engine(
        "postgresql+psycopg://",
        async_creator=lambda: psycopg.AsyncConnection.connect(conninfo),
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=POOL_WAIT_S,
        # After a failover, pooled sessions to the old primary are dead: check on checkout.
        pool_pre_ping=True,
        pool_recycle=3600,
        hide_parameters=True,  # values may be secrets (passwords, token secrets): never log them
    )
    _count_statements(engine.sync_engine)
    return engine


def _count_statements(engine: Engine) -> None:
    """Count statements per DBAPI connection, so a request can report how many it issued."""

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        info = conn.connection.info
        info["statements"] = info.get("statements", 0) + 1


def run_in_transaction(target: Target, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run `work` in one transaction on a one-connection engine (for commands and start-up,
    outside any event loop)."""

    async def run() -> T:
        engine = async_engine(target, pool_size=1)
        try:
            async with engine.begin() as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@contextlib.contextmanager
def database_for(target: Target, embedded: EmbeddedPostgres | None) -> Iterator[Target]:
    """`target`, reachable for the block's duration: an embedded cluster is started (and
    stopped after, unless it was already running) and its database created."""
    if embedded is None:
        yield target
        return
    started = embedded.start()
    try:
        embedded.create_database(target.name)
        yield target
    finally:
        if started:
            embedded.stop()
