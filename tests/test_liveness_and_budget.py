"""Pure decisions of region HA: service status from heartbeats, the connection budget."""

from __future__ import annotations

from ironworks.region.cluster import budget
from ironworks.region.cluster.liveness import (
    DEAD_AFTER_S,
    HEARTBEAT_S,
    LIVENESS_INTERVAL_S,
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
