"""The rack-removal plan: where a deleted rack's DHCP roles go (pure, no database)."""

from __future__ import annotations

from ironworks.region.services.controllers.rack_removal import (
    RemovalPlan,
    VlanChange,
    VlanRoles,
    plan_rack_removal,
    refusal_message,
)

RACK, OTHER, THIRD = 1, 2, 3


def vlan(primary: int | None, secondary: int | None = None, *, candidates: tuple[int, ...] = (),
         dhcp_on: bool = True, vid: int = 0, id: int = 10) -> VlanRoles:
    return VlanRoles(id, f"fabric-0.{vid}", dhcp_on, primary, secondary, candidates)


def test_primary_with_secondary_promotes_the_secondary_and_finds_a_new_secondary() -> None:
    plan = plan_rack_removal(RACK, [vlan(RACK, OTHER, candidates=(OTHER, THIRD))])
    assert plan.changes == [VlanChange(10, OTHER, THIRD, True)]
    assert not plan.blocked


def test_primary_with_secondary_and_no_other_rack_leaves_no_secondary() -> None:
    plan = plan_rack_removal(RACK, [vlan(RACK, OTHER, candidates=(OTHER,))])
    assert plan.changes == [VlanChange(10, OTHER, None, True)]


def test_lone_primary_is_replaced_by_another_rack_on_the_vlan() -> None:
    plan = plan_rack_removal(RACK, [vlan(RACK, None, candidates=(THIRD,))])
    assert plan.changes == [VlanChange(10, THIRD, None, True)]
    assert not plan.blocked


def test_lone_primary_with_no_other_rack_would_turn_dhcp_off_and_blocks() -> None:
    plan = plan_rack_removal(RACK, [vlan(RACK, None, vid=42)])
    assert plan.changes == [VlanChange(10, None, None, False)]
    assert plan.blocked and plan.orphaned == ["fabric-0.42"]


def test_secondary_is_replaced_or_cleared() -> None:
    replaced = plan_rack_removal(RACK, [vlan(OTHER, RACK, candidates=(OTHER, THIRD))])
    assert replaced.changes == [VlanChange(10, OTHER, THIRD, True)]
    cleared = plan_rack_removal(RACK, [vlan(OTHER, RACK, candidates=(OTHER,))])
    assert cleared.changes == [VlanChange(10, OTHER, None, True)]
    assert not cleared.blocked


def test_the_rack_itself_is_never_a_candidate() -> None:
    plan = plan_rack_removal(RACK, [vlan(RACK, None, candidates=(RACK,))])
    assert plan.blocked


def test_vlans_without_dhcp_only_lose_the_reference() -> None:
    plan = plan_rack_removal(RACK, [
        vlan(RACK, OTHER, candidates=(THIRD,), dhcp_on=False, id=1),
        vlan(RACK, None, candidates=(THIRD,), dhcp_on=False, id=2),
        vlan(OTHER, RACK, candidates=(THIRD,), dhcp_on=False, id=3),
    ])
    assert plan.changes == [VlanChange(1, OTHER, None, False), VlanChange(2, None, None, False),
                            VlanChange(3, OTHER, None, False)]
    assert not plan.blocked


def test_vlans_the_rack_does_not_serve_are_untouched() -> None:
    assert plan_rack_removal(RACK, [vlan(OTHER, THIRD)]).changes == []


def test_several_vlans_each_planned_and_every_orphan_named() -> None:
    plan = plan_rack_removal(RACK, [
        vlan(RACK, None, vid=10, id=1), vlan(RACK, OTHER, vid=20, id=2), vlan(RACK, None, vid=30, id=3),
    ])
    assert plan.orphaned == ["fabric-0.10", "fabric-0.30"]
    assert plan.changes[1] == VlanChange(2, OTHER, None, True)


def test_refusal_message_names_host_and_vlans() -> None:
    plan = RemovalPlan(orphaned=["fabric-0.0", "fabric-1.10"])
    assert refusal_message("rack-a", plan) == (
        "Unable to delete 'rack-a'; it is currently set as a primary rack controller on VLANs "
        "fabric-0.0, fabric-1.10 and no other rack controller can provide DHCP.")
