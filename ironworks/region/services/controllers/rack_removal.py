"""What happens to DHCP when a rack controller goes away: a pure plan over plain data.

For each VLAN the rack serves (primary or secondary):
- primary with a secondary: the secondary is promoted; another rack that can serve the VLAN (if
  any) becomes the new secondary;
- primary without a secondary: another rack that can serve it becomes primary, else DHCP would
  turn off on that VLAN;
- secondary: replaced by another rack that can serve the VLAN, or cleared.
VLANs without DHCP only lose the reference (a secondary still moves up to primary).

"Can serve the VLAN" is decided by the caller and passed in as `candidates`.  Rack liveness does
not exist yet, so for now it means "has an interface on the VLAN"; when the rack channel lands
it must also mean "is connected", as in MAAS.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VlanRoles:
    id: int
    label: str  # "fabric.vid", as the refusal message names it
    dhcp_on: bool
    primary: int | None
    secondary: int | None
    candidates: tuple[int, ...] = ()  # other racks able to serve it, in order of preference


@dataclass(frozen=True)
class VlanChange:
    vlan_id: int
    primary: int | None
    secondary: int | None
    dhcp_on: bool


@dataclass
class RemovalPlan:
    changes: list[VlanChange] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)  # labels of VLANs that would lose DHCP

    @property
    def blocked(self) -> bool:
        return bool(self.orphaned)


def _pick(candidates: tuple[int, ...], exclude: set[int | None]) -> int | None:
    return next((c for c in candidates if c not in exclude), None)


def plan_rack_removal(rack: int, vlans: list[VlanRoles]) -> RemovalPlan:
    plan = RemovalPlan()
    for v in vlans:
        primary, secondary, dhcp_on = v.primary, v.secondary, v.dhcp_on
        if v.primary == rack:
            if v.secondary is not None and v.secondary != rack:
                primary = v.secondary
                secondary = _pick(v.candidates, {rack, primary}) if v.dhcp_on else None
            else:
                primary = _pick(v.candidates, {rack}) if v.dhcp_on else None
                secondary = None
                if v.dhcp_on and primary is None:
                    plan.orphaned.append(v.label)
                    dhcp_on = False
        elif v.secondary == rack:
            secondary = _pick(v.candidates, {rack, primary}) if v.dhcp_on else None
        else:
            continue  # the rack has no role on this VLAN
        plan.changes.append(VlanChange(v.id, primary, secondary, dhcp_on))
    return plan


def refusal_message(hostname: str, plan: RemovalPlan) -> str:
    return (f"Unable to delete '{hostname}'; it is currently set as a primary rack controller on "
            f"VLANs {', '.join(plan.orphaned)} and no other rack controller can provide DHCP.")
