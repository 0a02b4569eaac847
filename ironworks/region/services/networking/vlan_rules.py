"""DHCP settings of a VLAN: the rules of `vlan update`, as a pure function.

MAAS's rules (and messages) for dhcp_on / primary_rack / secondary_rack / relay_vlan, plus one
ironworks adds: a rack must have an interface on the VLAN it is to serve.  Only the facts the
rules need are passed in; the caller looks them up and writes the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from ironworks.common.errors import InvalidInput
from ironworks.common.nodetypes import RACK_TYPES

PRIMARY_NEEDED = "dhcp can only be turned on when a primary rack controller is set."
RANGE_NEEDED = "dhcp can only be turned on when a dynamic IP range is defined."
MUST_DIFFER = "The primary and secondary rack must be different"
PRIMARY_DOWN = ("The primary rack controller must be up and running to set a secondary rack controller. "
                "Without the primary the secondary DHCP service will not be able to synchronize, "
                "preventing it from responding to DHCP requests.")


@dataclass(frozen=True)
class DhcpSettings:
    dhcp_on: bool = False
    primary_rack: str | None = None  # system_id
    secondary_rack: str | None = None  # system_id
    relay_vlan: int | None = None  # VLAN database id


@dataclass(frozen=True)
class Rack:
    """A node named as primary_rack/secondary_rack in the request."""

    system_id: str
    hostname: str
    node_type: int
    on_vlan: bool  # it has an interface on the VLAN being changed
    up: bool = False  # connected to a region (its rackd is running or degraded)


@dataclass(frozen=True)
class VlanFacts:
    vlan_id: int
    label: str  # "<fabric>.<vid>", for messages
    has_dynamic_range: bool = False
    # by system_id (the racks named, and the current primary); absent = unknown
    racks: Mapping[str, Rack] = field(default_factory=dict)
    existing_vlans: frozenset[int] = frozenset()  # which relay_vlan ids named exist


def apply_dhcp_change(current: DhcpSettings, changes: Mapping[str, Any], facts: VlanFacts) -> DhcpSettings:
    """The VLAN's DHCP settings after `changes` (only supplied keys; None clears), or
    InvalidInput with every problem found."""
    errors: dict[str, list[str]] = {}

    def fail(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    for key in ("primary_rack", "secondary_rack"):
        system_id = changes.get(key)
        if system_id is None:
            continue
        rack = facts.racks.get(system_id)
        if rack is None:
            fail(key, f"'{system_id}' is not a known rack controller.")
        elif rack.node_type not in RACK_TYPES:
            fail(key, f"{rack.hostname} ({system_id}) is not a rack controller.")
        elif not rack.on_vlan:
            # Beyond MAAS: a rack off this VLAN could never answer its DHCP requests.
            fail(key, f"{rack.hostname} has no interface on VLAN {facts.label}")

    primary, secondary = current.primary_rack, current.secondary_rack
    if "primary_rack" in changes and "secondary_rack" in changes:
        primary, secondary = changes["primary_rack"], changes["secondary_rack"]
        if primary is not None and primary == secondary:
            fail("secondary_rack", MUST_DIFFER)
    elif "primary_rack" in changes:
        primary = changes["primary_rack"]
        if primary is None:
            primary, secondary = current.secondary_rack, None  # promote the secondary
        elif primary == current.secondary_rack:
            secondary = None  # the secondary became the primary
    elif "secondary_rack" in changes:
        secondary = changes["secondary_rack"]
        if secondary is not None and secondary == current.primary_rack:
            fail("secondary_rack", f"{secondary} is already set as the primary rack controller")
    if secondary is not None and primary is None and "secondary_rack" not in errors:
        fail("secondary_rack", "A secondary rack controller can only be set when a primary rack "
                               "controller is set.")
    elif (secondary is not None and secondary != current.secondary_rack and "secondary_rack" not in errors
          and primary in facts.racks and not facts.racks[primary].up):
        fail("secondary_rack", PRIMARY_DOWN)  # as MAAS: the pair could never synchronise

    relay = current.relay_vlan
    if "relay_vlan" in changes:
        relay = changes["relay_vlan"]
        if relay is not None and relay == facts.vlan_id:
            fail("relay_vlan", "A VLAN cannot relay DHCP to itself.")
        elif relay is not None and relay not in facts.existing_vlans:
            fail("relay_vlan", f"No VLAN with id {relay}.")

    dhcp_on = bool(changes.get("dhcp_on", current.dhcp_on))
    if dhcp_on:
        if changes.get("relay_vlan") is not None and "relay_vlan" not in errors:
            fail("relay_vlan", "A VLAN that serves DHCP itself cannot relay DHCP to another VLAN; "
                               "set dhcp_on=false too.")
        relay = None  # turning DHCP on ends relaying
        if primary is None:
            if changes.get("dhcp_on"):
                fail("__all__", PRIMARY_NEEDED)
            else:
                fail("primary_rack", f"DHCP is enabled on VLAN {facts.label}; it needs a primary "
                                     "rack controller. Set dhcp_on=false first.")
        if changes.get("dhcp_on") and not facts.has_dynamic_range:
            fail("dhcp_on", RANGE_NEEDED)

    if errors:
        raise InvalidInput(errors)
    return replace(current, dhcp_on=dhcp_on, primary_rack=primary, secondary_rack=secondary,
                   relay_vlan=relay)
