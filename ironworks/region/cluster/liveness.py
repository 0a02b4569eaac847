"""Region liveness: the bounds, and the pure decisions made from heartbeats.

Every worker process refreshes its row every HEARTBEAT_S (database clock).  A process silent
for more than DEAD_AFTER_S is reaped by the cluster's liveness singleton, so a killed region is
shown `dead` within DEAD_AFTER_S + LIVENESS_INTERVAL_S (+ singleton takeover if the killed
region held it).  MAAS refreshes every 60 s and reaps after 90 s.

Silence is only evidence while the reaper itself could see the database: time the database was
unreachable (for everyone) is nobody's fault, so the bound is measured from the later of a
row's last heartbeat and the start of the reaper's own unbroken contact with the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping

HEARTBEAT_S = 2.0
DEAD_AFTER_S = 8.0
LIVENESS_INTERVAL_S = 2.0
# Contacts further apart than this (a missed heartbeat and a slow one) break the run of contact.
CONTACT_GAP_S = 2 * HEARTBEAT_S + 1.0

RUNNING, DEGRADED, DEAD, OFF = "running", "degraded", "dead", "off"
NOT_CONNECTED = "Not connected to any region controllers."  # a rack's `rackd` with no channel


def regiond_status(live: int, expected: int) -> tuple[str, str]:
    """The `regiond` service status of one region from its live and expected process counts."""
    if live <= 0:
        return DEAD, "No regiond processes are running."
    if live < expected:
        return DEGRADED, f"{live} processes running but {expected} were expected."
    return RUNNING, ""


def next_regiond_status(current: str | None, live: int, expected: int, settled: bool) -> tuple[str, str] | None:
    """The status to show next, or None to leave `current` as it is.

    A region coming up (shown dead or off) turns `running` once all its processes have
    registered — not before, and not through `degraded` while they start one after another —
    so it goes dead → running once.  `settled`: its oldest process registered more than
    DEAD_AFTER_S ago, so a missing one is not just slow to start: `degraded` then.
    A region stopped cleanly stays `off` until a process registers."""
    if live <= 0 and current == OFF:
        return None
    status, info = regiond_status(live, expected)
    if status == DEGRADED and current in (DEAD, OFF, None) and not settled:
        return None
    return status, info


@dataclass
class Contact:
    """When this process has been seeing the database without a break (database clock)."""

    since: datetime | None = None
    last: datetime | None = None

    def saw(self, now: datetime) -> None:
        if self.last is None or now - self.last > timedelta(seconds=CONTACT_GAP_S):
            self.since = now  # a break: nothing silent before now is evidence against anyone
        self.last = now if self.last is None else max(now, self.last)


def rpc_document(processes: Iterable[Mapping]) -> dict:
    """The `GET /MAAS/rpc/` body: every live region process and its endpoints.
    `processes`: rows with hostname, pid, address, port (one row per endpoint)."""
    eventloops: dict[str, list[list]] = {}
    for row in processes:
        key = f"{row['hostname']}:pid={row['pid']}"
        eventloops.setdefault(key, []).append([str(row["address"]), row["port"]])
    return {"eventloops": eventloops}


def rackd_status(connected: int, expected: int) -> tuple[str, str]:
    """A rack's `rackd` status from how many region controllers it has a live channel to, out of
    the regions that are not stopped (a crashed region still counts: the rack should reach it)."""
    if connected <= 0:
        return DEAD, NOT_CONNECTED
    if connected < expected:
        return DEGRADED, f"{int(100 * connected / expected)}% connected to region controllers."
    return RUNNING, ""
