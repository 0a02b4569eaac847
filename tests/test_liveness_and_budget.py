"""Pure decisions of region HA: service status from heartbeats, the connection budget, the log
throttle."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ironworks.common.logs import Throttle
from ironworks.region.cluster import budget
from ironworks.region.cluster.liveness import (
    CONTACT_GAP_S,
    DEAD_AFTER_S,
    HEARTBEAT_S,
    LIVENESS_INTERVAL_S,
    Contact,
    next_regiond_status,
    regiond_status,
    rpc_document,
)


def test_regiond_status_follows_live_processes() -> None:
    assert regiond_status(4, 4) == ("running", "")
    assert regiond_status(3, 4) == ("degraded", "3 processes running but 4 were expected.")
    assert regiond_status(0, 4)[0] == "dead"


def test_bounds_detect_a_dead_region_well_within_15_seconds() -> None:
    assert HEARTBEAT_S <= 5
    assert DEAD_AFTER_S >= 3 * HEARTBEAT_S, "a few missed beats, not one, make a process dead"
    assert DEAD_AFTER_S + LIVENESS_INTERVAL_S <= 15


def test_rpc_document_groups_endpoints_by_process() -> None:
    rows = [{"hostname": "a", "pid": 1, "address": "10.0.0.1", "port": 5240},
            {"hostname": "a", "pid": 1, "address": "10.0.1.1", "port": 5240},
            {"hostname": "b", "pid": 7, "address": "10.0.0.2", "port": 5240}]
    assert rpc_document(rows) == {"eventloops": {
        "a:pid=1": [["10.0.0.1", 5240], ["10.0.1.1", 5240]], "b:pid=7": [["10.0.0.2", 5240]]}}


def test_budget_accepts_what_fits_and_refuses_with_the_numbers() -> None:
    server = budget.Server(max_connections=110, reserved=3, other_clients=2)
    assert server.available == 105
    two = [budget.RegionNeed("a", 4), budget.RegionNeed("b", 4)]  # 33 each
    assert budget.check(server, two, budget.RegionNeed("c", 4)).ok  # 99 ≤ 105
    verdict = budget.check(server, two + [budget.RegionNeed("c", 4)], budget.RegionNeed("d", 4))
    assert not verdict.ok
    assert "max_connections=110" in verdict.message
    assert "raise max_connections to at least 137" in verdict.message  # 132 + 3 + 2
    assert "\n" not in verdict.message


def test_a_region_coming_up_turns_running_once_all_its_processes_registered() -> None:
    assert next_regiond_status("dead", 1, 2, settled=False) is None  # still starting: stays dead
    assert next_regiond_status("dead", 2, 2, settled=False) == ("running", "")
    assert next_regiond_status("off", 0, 2, settled=False) is None  # stopped cleanly: stays off
    assert next_regiond_status("dead", 1, 2, settled=True)[0] == "degraded"  # one never came
    assert next_regiond_status("running", 1, 2, settled=False)[0] == "degraded"
    assert next_regiond_status("running", 0, 2, settled=False)[0] == "dead"


def test_contact_restarts_after_a_break() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    contact = Contact()
    for s in (0, 2, 4, 6):
        contact.saw(t0 + timedelta(seconds=s))
    assert contact.since == t0
    back = t0 + timedelta(seconds=6 + CONTACT_GAP_S + 4)  # the database was away
    contact.saw(back)
    assert contact.since == back


def test_throttle_logs_a_cause_once_per_interval_with_the_count() -> None:
    now = [0.0]
    throttle = Throttle(interval_s=10, clock=lambda: now[0])
    assert throttle.due("refused") == 0
    assert [throttle.due("refused") for _ in range(5)] == [None] * 5
    assert throttle.due("timeout") == 0  # another cause has its own line
    now[0] = 10.0
    assert throttle.due("refused") == 5


def test_the_version_warning_names_each_controller_only_when_versions_differ() -> None:
    from ironworks.region.services.controllers.versions import mismatch_message

    assert mismatch_message({"r1": "0.1.0", "r2": "0.1.0"}) is None
    assert mismatch_message({}) is None
    assert mismatch_message({"rack-b": "0.2.0", "r1": "0.1.0"}) == (
        "Controllers have different versions: r1 0.1.0, rack-b 0.2.0. Upgrade them to the same version.")
