"""Region liveness: the bounds, and the pure decisions made from heartbeats.

Every worker process refreshes its row every HEARTBEAT_S (database clock).  A process silent
for more than DEAD_AFTER_S is reaped by the cluster's liveness singleton, so a killed region is
shown `dead` within DEAD_AFTER_S + LIVENESS_INTERVAL_S (+ singleton takeover if the killed
region held it).  MAAS refreshes every 60 s and reaps after 90 s.
"""

from __future__ import annotations

from typing import Iterable, Mapping

HEARTBEAT_S = 2.0
DEAD_AFTER_S = 8.0
LIVENESS_INTERVAL_S = 2.0


def regiond_status(live: int, expected: int) -> tuple[str, str]:
    """The `regiond` service status of one region from its live and expected process counts."""
    if live <= 0:
        return "dead", "No regiond processes are running."
    if live < expected:
        return "degraded", f"{live} processes running but {expected} were expected."
    return "running", ""


def rpc_document(processes: Iterable[Mapping]) -> dict:
    """The `GET /MAAS/rpc/` body: every live region process and its endpoints.
    `processes`: rows with hostname, pid, address, port (one row per endpoint)."""
    eventloops: dict[str, list[list]] = {}
    for row in processes:
        key = f"{row['hostname']}:pid={row['pid']}"
        eventloops.setdefault(key, []).append([str(row["address"]), row["port"]])
    return {"eventloops": eventloops}
