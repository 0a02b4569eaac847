"""The database connection budget: what each region needs, checked against the server.

Per worker process: the request pool (POOL_SIZE) + the change-feed session + the singleton
lock session + one short-lived session at a time for heartbeats and health checks (fresh.py: apart
from the pool, so liveness never waits behind requests).  Per region: workers × that + 1 for the
master process during start-up.
MAAS never checks this and clusters fall over on the default max_connections.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.db.connect import POOL_SIZE
from ironworks.region.cluster.liveness import DEAD_AFTER_S

DEDICATED_PER_PROCESS = 3  # change feed + singleton lock + heartbeat/health (one at a time)
PER_PROCESS = POOL_SIZE + DEDICATED_PER_PROCESS
MASTER = 1


def region_need(workers: int) -> int:
    return workers * PER_PROCESS + MASTER


@dataclass(frozen=True)
class RegionNeed:
    hostname: str
    workers: int

    @property
    def need(self) -> int:
        return region_need(self.workers)


@dataclass(frozen=True)
class Server:
    max_connections: int
    reserved: int
    other_clients: int  # sessions that are not region processes (psql, backups, ...)

    @property
    def available(self) -> int:
        return self.max_connections - self.reserved - self.other_clients


@dataclass(frozen=True)
class Verdict:
    ok: bool
    need: int
    available: int
    message: str


def check(server: Server, others: list[RegionNeed], mine: RegionNeed) -> Verdict:
    others_need = sum(r.need for r in others)
    need = others_need + mine.need
    if need <= server.available:
        return Verdict(True, need, server.available, "")
    minimum = need + server.reserved + server.other_clients
    return Verdict(False, need, server.available, (
        f"database connection budget exceeded: the server allows {server.available} connections "
        f"(max_connections={server.max_connections}, {server.reserved} reserved for superusers, "
        f"{server.other_clients} used by other clients); the {len(others)} live region(s) need "
        f"{others_need} and this region needs {mine.need} ({mine.workers} workers × {PER_PROCESS} + "
        f"{MASTER}): raise max_connections to at least {minimum}, or lower num_workers"))


def table(server: Server, others: list[RegionNeed], mine: RegionNeed | None) -> str:
    rows = [("region", "workers", "per process", "need")]
    rows += [(r.hostname, str(r.workers), str(PER_PROCESS), str(r.need)) for r in others]
    if mine:
        rows.append((f"{mine.hostname} (this host)", str(mine.workers), str(PER_PROCESS), str(mine.need)))
    total = sum(r.need for r in others) + (mine.need if mine else 0)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.append(f"total need: {total}; server: max_connections={server.max_connections}, "
                 f"reserved={server.reserved}, other clients={server.other_clients}, "
                 f"available={server.available}; {'OK' if total <= server.available else 'OVER BUDGET'}")
    return "\n".join(lines)


async def read_server(conn: AsyncConnection) -> Server:
    row = (await conn.execute(text(
        "SELECT current_setting('max_connections')::int AS max_connections, "
        "current_setting('superuser_reserved_connections')::int AS reserved, "
        "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
        "   AND coalesce(application_name, '') NOT LIKE 'maas-regiond%' "
        "   AND pid <> pg_backend_pid()) AS other_clients"))).one()
    return Server(row.max_connections, row.reserved, row.other_clients)


async def live_regions(conn: AsyncConnection, exclude_node_id: int | None) -> list[RegionNeed]:
    rows = await conn.execute(text(
        "SELECT n.hostname, max(p.expected) AS workers FROM region_process p "
        "JOIN node n ON n.id = p.node_id "
        f"WHERE p.updated >= now() - interval '{DEAD_AFTER_S} seconds' "
        "  AND (CAST(:exclude AS integer) IS NULL OR n.id <> :exclude) "
        "GROUP BY n.hostname ORDER BY n.hostname"), {"exclude": exclude_node_id})
    return [RegionNeed(r.hostname, r.workers) for r in rows]
