"""Where a controller's reported interfaces go: on which VLAN each one sits, and which subnets
its addresses need.  Pure: plain data in, a `Plan` out; `controllers/rack_interfaces.py` reads
the database and carries the plan out.

The rules, in order:
1. A bond or bridge and its members are one L2 segment: they share a VLAN.
2. A segment with a VLAN interface (802.1Q) in it sits on that VID of its parent's fabric
   (the VLAN is created there when missing).
3. Otherwise (an untagged segment), from its members' addresses and current VLANs:
   - a member already placed keeps its VLAN when an address confirms it, or when no address
     lies in a known subnet (nothing proves it moved);
   - else an address in a known subnet puts it on that subnet's VLAN (it moved, or is new);
   - else a tagged child with a known subnet (or already placed) tells the fabric: its
     untagged VLAN;
   - else a brand-new fabric (with its untagged VLAN).
4. Then every address in no known subnet makes a subnet (its network; named by its CIDR) on the
   segment's VLAN, known to the segments placed after it.  An address whose network overlaps a
   known subnet without lying in it, and host routes (/32, /128: VIPs), make none and get no link.
Re-placing what was placed changes nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ironworks.common.protocol.interfaces import InterfaceReport

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class NewFabric:
    """A fabric this plan creates (the n-th, from 0)."""

    index: int


@dataclass(frozen=True)
class VlanRef:
    fabric: int | NewFabric  # an existing fabric's id, or one to create
    vid: int


@dataclass
class Plan:
    vlans: dict[str, VlanRef] = field(default_factory=dict)  # interface name -> its VLAN
    new_fabrics: int = 0
    new_subnets: dict[str, VlanRef] = field(default_factory=dict)  # CIDR -> VLAN, in creation order
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # name -> [(ip, subnet CIDR)]
    unplaced: list[tuple[str, str]] = field(default_factory=list)  # (name, address) with no subnet


@dataclass
class _Known:
    """Subnets by network, most specific first when looking one up."""

    subnets: list[tuple[Network, VlanRef]]

    def containing(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[Network, VlanRef] | None:
        best = None
        for net, ref in self.subnets:
            if ip.version == net.version and ip in net and (best is None or net.prefixlen > best[0].prefixlen):
                best = (net, ref)
        return best

    def overlaps(self, net: Network) -> bool:
        return any(net.version == other.version and net.overlaps(other) for other, _ in self.subnets)


def _addresses(report: InterfaceReport) -> list[ipaddress.IPv4Interface | ipaddress.IPv6Interface]:
    found = []
    for text in report.addresses:
        try:
            iface = ipaddress.ip_interface(text)
        except ValueError:
            continue
        if iface.ip.is_link_local or iface.ip.is_loopback or iface.ip.is_multicast:
            continue
        if iface.network.prefixlen == iface.ip.max_prefixlen:
            continue  # a host route (a VIP): no network to learn
        found.append(iface)
    return found


def _segments(reports: Sequence[InterfaceReport]) -> dict[str, str]:
    """Interface name -> its segment's representative (bonds and bridges joined to members)."""
    root = {r.name: r.name for r in reports}

    def find(name: str) -> str:
        while root[name] != name:
            root[name] = root[root[name]]
            name = root[name]
        return name

    for r in reports:
        if r.type in ("bond", "bridge"):
            for parent in r.parents:
                if parent in root:
                    root[find(parent)] = find(r.name)
    return {name: find(name) for name in root}


def place(reports: Sequence[InterfaceReport], subnets: Mapping[str, int],
          vlans: Mapping[int, tuple[int, int]], current: Mapping[str, int | None]) -> Plan:
    """The plan for `reports`, given the existing subnets (CIDR -> VLAN id), VLANs (id ->
    (fabric id, vid)) and the node's interfaces' current VLAN ids by name."""
    plan = Plan()
    by_name = {r.name: r for r in reports}
    ref_of = {vlan_id: VlanRef(fabric, vid) for vlan_id, (fabric, vid) in vlans.items()}
    known = _Known([(ipaddress.ip_network(cidr), ref_of[vlan_id]) for cidr, vlan_id in subnets.items()
                    if vlan_id in ref_of])
    placed_now = {name: ref_of[v] for name, v in current.items() if v is not None and v in ref_of}
    segment_of = _segments(reports)
    members: dict[str, list[InterfaceReport]] = {}
    for r in reports:
        members.setdefault(segment_of[r.name], []).append(r)
    decided: dict[str, VlanRef] = {}

    def tagged(segment: str) -> InterfaceReport | None:
        """The segment's VLAN interface whose parent is outside the segment, if any."""
        return next((m for m in members[segment] if m.type == "vlan" and m.vid is not None and m.parents
                     and m.parents[0] in by_name and segment_of[m.parents[0]] != segment), None)

    def evidence(reps: Sequence[InterfaceReport]) -> list[VlanRef]:
        found = []
        for r in reps:
            for iface in _addresses(r):
                hit = known.containing(iface.ip)
                if hit is not None:
                    found.append(hit[1])
        return found

    def untagged(segment: str, vid: int) -> VlanRef:
        reps = members[segment]
        from_addresses = evidence(reps)
        here = [placed_now[r.name] for r in reps if r.name in placed_now]
        confirmed = next((ref for ref in here if ref in from_addresses), None)
        if confirmed is not None:
            return confirmed
        if from_addresses:
            return from_addresses[0]
        if here:
            return here[0]
        if vid == 0:  # a tagged child may know the fabric
            for child in reports:
                if child.type == "vlan" and child.parents and child.parents[0] in by_name \
                        and segment_of[child.parents[0]] == segment and child.vid is not None:
                    hints = [ref for ref in evidence([child]) if ref.vid == child.vid]
                    if child.name in placed_now and placed_now[child.name].vid == child.vid:
                        hints.append(placed_now[child.name])
                    if hints:
                        return VlanRef(hints[0].fabric, 0)
        ref = VlanRef(NewFabric(plan.new_fabrics), vid)
        plan.new_fabrics += 1
        return ref

    def decide(segment: str, visiting: frozenset[str] = frozenset()) -> VlanRef:
        if segment in decided:
            return decided[segment]
        vlan_iface = tagged(segment)
        if vlan_iface is not None and segment_of[vlan_iface.parents[0]] not in visiting:
            parent = decide(segment_of[vlan_iface.parents[0]], visiting | {segment})
            ref = VlanRef(parent.fabric, vlan_iface.vid or 0)
        else:
            # A VLAN interface whose parent was not reported: its VID on whatever fabric fits.
            loose = next((m for m in members[segment] if m.type == "vlan" and m.vid
                          and not (m.parents and m.parents[0] in by_name)), None)
            ref = untagged(segment, loose.vid if loose is not None and loose.vid else 0)
        decided[segment] = ref
        _learn_subnets(plan, known, members[segment], ref)
        return ref

    for r in reports:
        plan.vlans[r.name] = decide(segment_of[r.name])
    return plan


def _learn_subnets(plan: Plan, known: _Known, reps: Sequence[InterfaceReport], ref: VlanRef) -> None:
    """Links for the segment's addresses, making subnets for the networks nobody knows."""
    for r in reps:
        links = plan.links.setdefault(r.name, [])
        for iface in _addresses(r):
            hit = known.containing(iface.ip)
            if hit is None:
                if known.overlaps(iface.network):
                    plan.unplaced.append((r.name, str(iface)))
                    continue
                hit = (iface.network, ref)
                known.subnets.append(hit)
                plan.new_subnets[str(iface.network)] = ref
            links.append((str(iface.ip), str(hit[0])))
