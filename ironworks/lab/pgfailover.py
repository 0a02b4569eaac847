"""PostgreSQL failover under write load: the scenario `tests/ha/test_pg_failover.py` asserts on,
and `measure_promotion_write_gap()` for `bench/region_failover.py`.

A region lists both servers of a `PgPair` in `database_host` (primary first).  A writer thread
creates a zone per request (`POST zones/ name=pgfo-<n>`, every name distinct, so each
acknowledged write can be looked for afterwards) and a second thread polls `/MAAS/health/`.
Then the primary dies (SIGKILL of all its processes, or a fast shutdown), the standby is promoted
after `gap_s`, and the threads run on until the region has written again.

The writer is an impatient client: after a 503 it retries after 50 ms rather than the
`Retry-After` it was given, so the figures measure the region's recovery, not client back-off.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from ironworks.lab.harness import (
    DB_PASSWORD,
    APIClient,
    Region,
    free_port,
    world_traversable_tempdir,
)
from ironworks.lab.pgpair import PgPair

ZONE_PREFIX = "pgfo"
RETRY_PAUSE_S = 0.05
WRITE_PAUSE_S = 0.01
HEALTH_EVERY_S = 0.1


@dataclass
class Attempt:
    sent: float  # time.monotonic() when the request left
    done: float  # ... and when its answer (or transport error) came back
    status: int | None  # None: no HTTP answer at all
    retry_after: str | None = None
    name: str = ""
    error: str = ""


class _Poller(threading.Thread):
    """Repeats one request until stopped, recording every attempt."""

    def __init__(self, label: str, call, pause_ok: float, pause_fail: float) -> None:  # noqa: ANN001
        super().__init__(name=label, daemon=True)
        self.call = call
        self.pause_ok = pause_ok
        self.pause_fail = pause_fail
        self.attempts: list[Attempt] = []
        self.halt = threading.Event()
        self.n = 0

    def run(self) -> None:
        while not self.halt.is_set():
            self.n += 1
            name = f"{ZONE_PREFIX}-{self.n}"
            sent = time.monotonic()
            try:
                response: httpx.Response = self.call(name)
                attempt = Attempt(sent, time.monotonic(), response.status_code,
                                  response.headers.get("retry-after"), name,
                                  "" if response.status_code == 200 else response.text[:200])
            except httpx.HTTPError as exc:
                attempt = Attempt(sent, time.monotonic(), None, None, name, repr(exc))
            self.attempts.append(attempt)
            self.halt.wait(self.pause_ok if attempt.status == 200 else self.pause_fail)

    def oks(self, after: float = float("-inf")) -> list[Attempt]:
        return [a for a in list(self.attempts) if a.status == 200 and a.sent > after]

    def stop(self) -> None:
        self.halt.set()
        self.join(30)


@dataclass
class FailoverReport:
    how: str
    attempts: list[Attempt]
    health: list[Attempt]
    t_kill: float  # SIGKILL sent / `pg_ctl stop` issued
    t_dead: float  # the primary's processes are gone (writes sent later cannot reach it)
    t_promote: float  # `pg_ctl promote` issued
    promote_s: float  # how long `pg_ctl promote -w` took
    present: set[str] = field(default_factory=set)  # zone names on the promoted server afterwards

    # -- writes --------------------------------------------------------------------------
    @property
    def acknowledged(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == 200]

    @property
    def acknowledged_before_kill(self) -> list[Attempt]:
        """Acknowledged writes the old primary took (sent before it was gone)."""
        return [a for a in self.acknowledged if a.sent < self.t_dead]

    @property
    def first_ok_after_kill(self) -> Attempt | None:
        """The first acknowledged write sent once the old primary was gone."""
        later = [a for a in self.acknowledged if a.sent > self.t_dead]
        return min(later, key=lambda a: a.done) if later else None

    @property
    def write_gap_s(self) -> float | None:
        """Last acknowledged write sent before the kill → first acknowledged write after it."""
        first = self.first_ok_after_kill
        before = self.acknowledged_before_kill
        if first is None or not before:
            return None
        return first.done - max(a.done for a in before)

    @property
    def promotion_to_first_write_s(self) -> float | None:
        """`pg_ctl promote` issued → first acknowledged write (conservative: includes the
        promotion itself)."""
        first = self.first_ok_after_kill
        return None if first is None else first.done - self.t_promote

    @property
    def acknowledged_without_primary(self) -> list[Attempt]:
        """200s for writes sent after the primary was gone and answered before promotion
        began: impossible unless something other than the intended primary took them."""
        return [a for a in self.acknowledged if a.sent > self.t_dead and a.done < self.t_promote]

    @property
    def during_outage(self) -> list[Attempt]:
        """Writes that were not acknowledged, in flight at the kill or sent before the first
        write after it succeeded."""
        first = self.first_ok_after_kill
        end = first.sent if first else float("inf")
        return [a for a in self.attempts if a.done > self.t_kill and a.sent < end and a.status != 200]

    @property
    def unavailable_503(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == 503]

    @property
    def missing_retry_after(self) -> list[Attempt]:
        return [a for a in self.unavailable_503 if not a.retry_after]

    @property
    def other_failures(self) -> list[Attempt]:
        """Every answer that is neither 200 nor 503, transport errors included."""
        return [a for a in self.attempts if a.status not in (200, 503)]

    @property
    def failed_5xx_other_than_503(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status is None or (a.status >= 500 and a.status != 503)]

    @property
    def lost(self) -> list[str]:
        return sorted({a.name for a in self.acknowledged} - self.present)

    # -- health endpoint -----------------------------------------------------------------
    @property
    def health_without_primary(self) -> list[Attempt]:
        """Health checks sent after the primary was gone and answered before promotion."""
        return [h for h in self.health if h.sent > self.t_dead and h.done < self.t_promote]

    @property
    def health_ok_after_promotion(self) -> list[Attempt]:
        return [h for h in self.health if h.status == 200 and h.sent > self.t_promote]

    def figures(self) -> dict[str, Any]:
        first_health = min((h.done for h in self.health_ok_after_promotion), default=None)
        return {
            "how": self.how,
            "write_gap_s": _round(self.write_gap_s),
            "promotion_to_first_write_s": _round(self.promotion_to_first_write_s),
            "promote_command_s": _round(self.promote_s),
            "promotion_to_health_200_s": _round(None if first_health is None else first_health - self.t_promote),
            "writes_attempted": len(self.attempts),
            "writes_acknowledged": len(self.acknowledged),
            "responses_503": len(self.unavailable_503),
            "responses_503_without_retry_after": len(self.missing_retry_after),
            "failed_5xx_other_than_503": len(self.failed_5xx_other_than_503),
            "other_failures": len(self.other_failures),
            "lost_acknowledged_writes": len(self.lost),
        }

    def timeline(self, limit: int = 40) -> str:
        """Attempts around the failover, times relative to the kill (for failure messages)."""
        rows = [f"kill=0 dead={self.t_dead - self.t_kill:+.3f} promote={self.t_promote - self.t_kill:+.3f}"]
        near = [a for a in self.attempts if a.done > self.t_kill - 0.5][:limit]
        rows += [f"{a.name}: sent {a.sent - self.t_kill:+.3f} done {a.done - self.t_kill:+.3f} "
                 f"-> {a.status} {a.error[:60]}" for a in near]
        return "\n".join(rows)

    def describe_failures(self, limit: int = 5) -> str:
        bad = self.other_failures[:limit]
        return "; ".join(f"{a.name}: {a.status} {a.error}" for a in bad)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _wait(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def run_failover(pair: PgPair, region: Region, *, how: str = "kill", gap_s: float = 1.0,
                 warmup_writes: int = 20, after_writes: int = 20, recover_timeout: float = 30) -> FailoverReport:
    """Write continuously, lose the primary (`how`: "kill" = SIGKILL of every server process,
    "stop" = fast shutdown), promote the standby `gap_s` later, and write on until
    `after_writes` more writes were acknowledged.  Then read back what the promoted server holds."""
    api = region.client()
    api.http = httpx.Client(timeout=20)
    health_http = httpx.Client(timeout=5)
    health_url = region.url + "health/"
    writer = _Poller("pg-failover-writer", lambda name: api.post("zones/", {"name": name}),
                     WRITE_PAUSE_S, RETRY_PAUSE_S)
    health = _Poller("pg-failover-health", lambda name: health_http.get(health_url),
                     HEALTH_EVERY_S, HEALTH_EVERY_S)
    writer.start()
    health.start()
    t_kill = t_dead = t_promote = float("inf")
    promote_s = 0.0
    try:
        _wait(lambda: len(writer.oks()) >= warmup_writes, 60, f"{warmup_writes} writes before the failover")
        if how == "kill":
            t_kill = pair.kill_primary()
        elif how == "stop":
            t_kill = time.monotonic()
            pair.stop_primary("fast")
        else:
            raise ValueError(f"how={how!r}: expected 'kill' or 'stop'")
        t_dead = time.monotonic()
        time.sleep(gap_s)
        t_promote = time.monotonic()
        promote_s = pair.promote()
        _wait(lambda: len(writer.oks(after=t_promote)) >= after_writes, recover_timeout,
              f"{after_writes} acknowledged writes after promotion")
        _wait(lambda: any(h.status == 200 and h.sent > t_promote for h in list(health.attempts)),
              recover_timeout, "/MAAS/health/ to answer 200 after promotion")
    finally:
        writer.stop()
        health.stop()
        api.http.close()
        health_http.close()
    report = FailoverReport(how, list(writer.attempts), list(health.attempts), t_kill, t_dead,
                            t_promote, promote_s)
    report.present = {row[0] for row in region.sql(
        "SELECT name FROM zone WHERE name LIKE %s", (ZONE_PREFIX + "-%",))}
    return report


def configure_region(region: Region, pair: PgPair, **config: Any) -> None:
    """Configure a region as docs/ha.md says: `maas-region local_config_set` with both database
    hosts (primary first) and the other database keys."""
    region.write_config(**config)  # listen address/port, maas_url, workers
    region.run("maas-region", "local_config_set", "--database-host", pair.hosts,
               "--database-port", str(pair.port), "--database-name", region.dbname,
               "--database-user", "maas", "--database-pass", DB_PASSWORD)


def start_region_on(pair: PgPair, *, dbname: str | None = None, admin: bool = True,
                    **config: Any) -> Region:
    """A region (`maas-regiond`) on the pair, with an admin key unless `admin` is false.
    Stopped again (and its home removed) if it fails to come up."""
    region = Region(pair, dbname or pair.new_database(), free_port(),  # type: ignore[arg-type]
                    world_traversable_tempdir("iw-pgfo-region-"))
    try:
        configure_region(region, pair, **config)
        region.start()
        if admin:
            key: APIClient = region.create_user("admin", admin=True)
            region.apikey = key.apikey or ""
    except BaseException:
        stop_region(region)
        raise
    return region


def stop_region(region: Region) -> None:
    try:
        region.stop()
    finally:
        shutil.rmtree(region.home, ignore_errors=True)


def measure_promotion_write_gap(*, how: str = "kill", gap_s: float = 1.0, num_workers: int = 1) -> dict:
    """The PostgreSQL failover scenario on its own primary/standby pair and region; everything
    started is stopped and removed before returning.  Figures in seconds:

    write_gap_s                 last acknowledged write before the primary died → first after
    promotion_to_first_write_s  `pg_ctl promote` issued → first acknowledged write
    failed_5xx_other_than_503   answers that were 5xx but not 503, or no answer at all
    lost_acknowledged_writes    acknowledged writes missing on the promoted server
    """
    with PgPair() as pair:
        region = start_region_on(pair, num_workers=num_workers)
        try:
            report = run_failover(pair, region, how=how, gap_s=gap_s)
        finally:
            stop_region(region)
    return report.figures()


if __name__ == "__main__":
    import json

    print(json.dumps(measure_promotion_write_gap(), indent=2))
