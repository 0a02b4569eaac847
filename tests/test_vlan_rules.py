"""The DHCP rules of `vlan update`, without a database or a region."""

from __future__ import annotations

import pytest

from ironworks.common.errors import InvalidInput
from ironworks.region.services.networking.vlan_rules import (
    MUST_DIFFER,
    PRIMARY_DOWN,
    PRIMARY_NEEDED,
    RANGE_NEEDED,
    DhcpSettings,
    Rack,
    VlanFacts,
    apply_dhcp_change,
)

RACKS = {
    "rack01": Rack("rack01", "rack-one", 2, True, up=True),
    "rack02": Rack("rack02", "rack-two", 4, True, up=True),
    "down06": Rack("down06", "rack-down", 2, True, up=False),
    "far03": Rack("far03", "far-away", 2, False),
    "mach04": Rack("mach04", "a-machine", 0, True),
    "region5": Rack("region5", "region-only", 3, True),
}
FACTS = VlanFacts(vlan_id=5001, label="fabric-0.0", has_dynamic_range=True, racks=RACKS,
                  existing_vlans=frozenset({5002}))
OFF = DhcpSettings()
SERVING = DhcpSettings(dhcp_on=True, primary_rack="rack01", secondary_rack="rack02")


def errors_of(current: DhcpSettings, changes: dict, facts: VlanFacts = FACTS) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        apply_dhcp_change(current, changes, facts)
    return caught.value.errors


def test_dhcp_on_with_a_primary_and_a_dynamic_range() -> None:
    new = apply_dhcp_change(OFF, {"dhcp_on": True, "primary_rack": "rack01"}, FACTS)
    assert new == DhcpSettings(dhcp_on=True, primary_rack="rack01")


def test_dhcp_on_uses_the_primary_already_set() -> None:
    current = DhcpSettings(primary_rack="rack01")
    assert apply_dhcp_change(current, {"dhcp_on": True}, FACTS).dhcp_on is True


def test_dhcp_on_needs_a_primary_rack() -> None:
    assert errors_of(OFF, {"dhcp_on": True}) == {"__all__": [PRIMARY_NEEDED]}


def test_dhcp_on_needs_a_dynamic_range() -> None:
    facts = VlanFacts(5001, "fabric-0.0", has_dynamic_range=False, racks=RACKS)
    assert errors_of(OFF, {"dhcp_on": True, "primary_rack": "rack01"}, facts) == {"dhcp_on": [RANGE_NEEDED]}


def test_both_dhcp_problems_are_reported_together() -> None:
    facts = VlanFacts(5001, "fabric-0.0", has_dynamic_range=False, racks=RACKS)
    assert errors_of(OFF, {"dhcp_on": True}, facts) == {"__all__": [PRIMARY_NEEDED], "dhcp_on": [RANGE_NEEDED]}


def test_primary_and_secondary_must_differ() -> None:
    errors = errors_of(OFF, {"primary_rack": "rack01", "secondary_rack": "rack01"})
    assert errors == {"secondary_rack": [MUST_DIFFER]}


def test_secondary_cannot_be_the_current_primary() -> None:
    current = DhcpSettings(primary_rack="rack01")
    errors = errors_of(current, {"secondary_rack": "rack01"})
    assert errors == {"secondary_rack": ["rack01 is already set as the primary rack controller"]}


def test_clearing_the_primary_promotes_the_secondary() -> None:
    new = apply_dhcp_change(SERVING, {"primary_rack": None}, FACTS)
    assert (new.primary_rack, new.secondary_rack, new.dhcp_on) == ("rack02", None, True)


def test_primary_set_to_the_secondary_clears_the_secondary() -> None:
    current = DhcpSettings(primary_rack="rack01", secondary_rack="rack02")
    new = apply_dhcp_change(current, {"primary_rack": "rack02"}, FACTS)
    assert (new.primary_rack, new.secondary_rack) == ("rack02", None)


def test_swapping_primary_and_secondary_in_one_request() -> None:
    new = apply_dhcp_change(SERVING, {"primary_rack": "rack02", "secondary_rack": "rack01"}, FACTS)
    assert (new.primary_rack, new.secondary_rack) == ("rack02", "rack01")


def test_clearing_the_only_primary_while_dhcp_is_on_is_refused() -> None:
    current = DhcpSettings(dhcp_on=True, primary_rack="rack01")
    errors = errors_of(current, {"primary_rack": None})
    assert list(errors) == ["primary_rack"]
    assert "DHCP is enabled on VLAN fabric-0.0" in errors["primary_rack"][0]


def test_clearing_both_racks_with_dhcp_off() -> None:
    current = DhcpSettings(primary_rack="rack01", secondary_rack="rack02")
    new = apply_dhcp_change(current, {"primary_rack": None, "secondary_rack": None}, FACTS)
    assert (new.primary_rack, new.secondary_rack) == (None, None)


def test_a_secondary_needs_a_primary() -> None:
    errors = errors_of(OFF, {"secondary_rack": "rack02"})
    assert "only be set when a primary" in errors["secondary_rack"][0]


def test_racks_must_be_known_rack_controllers_on_the_vlan() -> None:
    assert errors_of(OFF, {"primary_rack": "nope99"}) == {
        "primary_rack": ["'nope99' is not a known rack controller."]}
    assert errors_of(OFF, {"primary_rack": "mach04"}) == {
        "primary_rack": ["a-machine (mach04) is not a rack controller."]}
    assert errors_of(OFF, {"primary_rack": "region5"}) == {
        "primary_rack": ["region-only (region5) is not a rack controller."]}
    assert errors_of(DhcpSettings(primary_rack="rack01"), {"secondary_rack": "far03"}) == {
        "secondary_rack": ["far-away has no interface on VLAN fabric-0.0"]}


def test_region_and_rack_controllers_serve_dhcp() -> None:
    assert apply_dhcp_change(OFF, {"primary_rack": "rack02"}, FACTS).primary_rack == "rack02"


def test_turning_dhcp_on_clears_the_relay() -> None:
    current = DhcpSettings(primary_rack="rack01", relay_vlan=5002)
    new = apply_dhcp_change(current, {"dhcp_on": True}, FACTS)
    assert (new.dhcp_on, new.relay_vlan) == (True, None)


def test_relay_rules() -> None:
    assert apply_dhcp_change(OFF, {"relay_vlan": 5002}, FACTS).relay_vlan == 5002
    assert apply_dhcp_change(DhcpSettings(relay_vlan=5002), {"relay_vlan": None}, FACTS).relay_vlan is None
    assert errors_of(OFF, {"relay_vlan": 5001}) == {"relay_vlan": ["A VLAN cannot relay DHCP to itself."]}
    assert errors_of(OFF, {"relay_vlan": 777}) == {"relay_vlan": ["No VLAN with id 777."]}
    # Serving DHCP and relaying it elsewhere contradict each other.
    assert "relay_vlan" in errors_of(SERVING, {"relay_vlan": 5002})


def test_turning_dhcp_off_keeps_the_racks() -> None:
    new = apply_dhcp_change(SERVING, {"dhcp_on": False}, FACTS)
    assert new == DhcpSettings(dhcp_on=False, primary_rack="rack01", secondary_rack="rack02")


def test_no_dhcp_fields_is_no_change() -> None:
    assert apply_dhcp_change(SERVING, {}, FACTS) == SERVING


def test_a_secondary_needs_a_primary_that_is_up_and_running() -> None:
    """MAAS's rule: without a live primary the pair could never synchronise."""
    current = DhcpSettings(dhcp_on=True, primary_rack="down06")
    assert errors_of(current, {"secondary_rack": "rack01"}) == {"secondary_rack": [PRIMARY_DOWN]}
    # naming a primary that is down together with a secondary is refused as well
    assert errors_of(OFF, {"primary_rack": "down06", "secondary_rack": "rack01"}) == {
        "secondary_rack": [PRIMARY_DOWN]}
    # an up primary: fine; and a down primary alone (no secondary) is still allowed
    new = apply_dhcp_change(current, {"primary_rack": "rack02", "secondary_rack": "rack01"}, FACTS)
    assert (new.primary_rack, new.secondary_rack) == ("rack02", "rack01")
    assert apply_dhcp_change(OFF, {"primary_rack": "down06"}, FACTS).primary_rack == "down06"
