"""A rack controller's interfaces, addresses and networks made to match what it reports.

The rack is the truth about its own interfaces: rows are created, updated and deleted by name;
bond, bridge and VLAN parents become `interface_relationship` rows; its global addresses become
`sticky` links to their subnets.  Where each interface goes (VLAN, new fabric, new subnets) is
`networking/placement.py`'s decision; this module reads what it needs and carries it out with
the networking services (create_fabric, create_vlan, create_subnet).

Everything runs under the address plan's lock (`lock_ipam`): two racks on one new network
create one subnet, and the subnets and fabrics read before placing cannot change meanwhile.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import Text, cast, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import Conflict, DomainError, InvalidInput, NotFound
from ironworks.common.protocol.interfaces import InterfaceReport
from ironworks.db import tables as t
from ironworks.region.services.networking import fabrics, subnets, vlans
from ironworks.region.services.networking.address_plan import lock_ipam
from ironworks.region.services.networking.placement import (
    NewFabric,
    Plan,
    VlanRef,
    place,
)


@dataclass
class InterfaceSync:
    """What changed (empty lists: the report matched the database already)."""

    created: list[str] = field(default_factory=list)  # interface names
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    new_fabrics: list[int] = field(default_factory=list)
    new_vlans: list[int] = field(default_factory=list)
    new_subnets: list[str] = field(default_factory=list)  # CIDRs
    addresses_changed: int = 0
    skipped: list[str] = field(default_factory=list)  # "eth0 10.0.0.5/24: why", for the log

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted or self.new_fabrics or self.new_vlans
                    or self.new_subnets or self.addresses_changed)


def mac(text: str | None) -> str | None:
    """A MAC in PostgreSQL's text form (lower case, colons), or None."""
    return text.strip().lower().replace("-", ":") if text and text.strip() else None


def check_report(interfaces: Sequence[InterfaceReport]) -> None:
    """Refuse a report that cannot describe one host: names twice, parents never reported,
    VLAN interfaces without exactly one parent and a VID."""
    names = [r.name for r in interfaces]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInput.field("interfaces", f"Interface(s) reported twice: {', '.join(twice)}.")
    macs = [m for r in interfaces if r.type == "physical" and (m := mac(r.mac_address))]
    shared = sorted({m for m in macs if macs.count(m) > 1})
    if shared:
        raise InvalidInput.field("interfaces", f"Physical interfaces share MAC address(es): {', '.join(shared)}.")
    known = set(names)
    for r in interfaces:
        missing = [p for p in r.parents if p not in known]
        if missing:
            raise InvalidInput.field("interfaces", f"Interface {r.name} has parent(s) that were not "
                                                   f"reported: {', '.join(missing)}.")
        if r.type == "vlan" and (len(r.parents) != 1 or r.vid is None):
            raise InvalidInput.field("interfaces", f"VLAN interface {r.name} needs one parent and a VID.")
        if r.name in r.parents:
            raise InvalidInput.field("interfaces", f"Interface {r.name} is its own parent.")
        if mac(r.mac_address) is not None:
            try:
                _check_mac(mac(r.mac_address) or "")
            except ValueError:
                raise InvalidInput.field("interfaces", f"Interface {r.name} has an invalid MAC address "
                                                       f"'{r.mac_address}'.") from None


def _check_mac(text: str) -> None:
    parts = text.split(":")
    if len(parts) != 6 or any(len(p) != 2 for p in parts):
        raise ValueError(text)
    int("".join(parts), 16)


def physical_macs(interfaces: Sequence[InterfaceReport]) -> list[str]:
    return sorted({m for r in interfaces if r.type == "physical" and (m := mac(r.mac_address))})


async def _mac_clashes(conn: AsyncConnection, node_id: int, macs: list[str]) -> None:
    if not macs:
        return
    rows = (await conn.execute(
        select(t.node.c.hostname, t.interface.c.name, cast(t.interface.c.mac_address, Text).label("mac"))
        .join(t.node, t.node.c.id == t.interface.c.node_id)
        .where(t.interface.c.type == "physical", t.interface.c.node_id != node_id,
               cast(t.interface.c.mac_address, Text).in_(macs)).order_by(t.node.c.hostname))).all()
    if rows:
        held = ", ".join(f"{r.mac} ({r.hostname}:{r.name})" for r in rows)
        raise Conflict(f"MAC address(es) of this rack controller belong to other nodes: {held}. "
                       "Delete those nodes' interfaces (or the nodes) first.")


async def _load(conn: AsyncConnection, node_id: int) -> tuple[dict[str, dict], dict[str, int],
                                                              dict[int, tuple[int, int]]]:
    """The node's interfaces by name, every subnet (CIDR -> VLAN id), every VLAN (fabric, vid)."""
    i = t.interface.c
    ifaces = {r.name: dict(r._mapping) for r in await conn.execute(
        select(i.id, i.name, i.type, cast(i.mac_address, Text).label("mac_address"), i.vlan_id, i.enabled)
        .where(i.node_id == node_id))}
    subnet_rows = await conn.execute(select(t.subnet.c.cidr, t.subnet.c.vlan_id))
    vlan_rows = await conn.execute(select(t.vlan.c.id, t.vlan.c.fabric_id, t.vlan.c.vid))
    return (ifaces, {str(ipaddress.ip_network(r.cidr)): r.vlan_id for r in subnet_rows},
            {r.id: (r.fabric_id, r.vid) for r in vlan_rows})


class _Vlans:
    """VlanRefs of a plan as VLAN ids, creating the fabrics and VLANs they name."""

    def __init__(self, conn: AsyncConnection, known: dict[int, tuple[int, int]], sync: InterfaceSync) -> None:
        self.conn, self.sync = conn, sync
        self.ids = {key: vlan_id for vlan_id, key in known.items()}
        self.fabric_ids: dict[int, int] = {}  # NewFabric.index -> fabric id

    async def create_fabrics(self, count: int) -> None:
        for index in range(count):
            fabric_id = await fabrics.create_fabric(self.conn, {})
            self.fabric_ids[index] = fabric_id
            self.sync.new_fabrics.append(fabric_id)
            untagged = await self.conn.scalar(select(t.vlan.c.id).where(
                t.vlan.c.fabric_id == fabric_id, t.vlan.c.vid == 0))
            self.ids[(fabric_id, 0)] = untagged

    async def id(self, ref: VlanRef) -> int:
        fabric_id = self.fabric_ids[ref.fabric.index] if isinstance(ref.fabric, NewFabric) else ref.fabric
        found = self.ids.get((fabric_id, ref.vid))
        if found is None:
            fabric = dict((await self.conn.execute(select(t.fabric).where(t.fabric.c.id == fabric_id))).one()._mapping)
            found = await vlans.create_vlan(self.conn, fabric, {"vid": ref.vid})
            self.ids[(fabric_id, ref.vid)] = found
            self.sync.new_vlans.append(found)
        return found


async def _create_subnets(conn: AsyncConnection, plan: Plan, resolve: _Vlans, sync: InterfaceSync) -> dict[str, int]:
    """Every subnet's id by CIDR, after creating the plan's new ones."""
    for cidr, ref in plan.new_subnets.items():
        try:
            await subnets.create_subnet(conn, {"cidr": cidr, "vlan": await resolve.id(ref)})
        except DomainError as exc:  # e.g. a subnet already named like this CIDR
            sync.skipped.append(f"subnet {cidr}: {exc.message}")
        else:
            sync.new_subnets.append(cidr)
    return {str(ipaddress.ip_network(r.cidr)): r.id
            for r in await conn.execute(select(t.subnet.c.id, t.subnet.c.cidr))}


def _wanted_row(report: InterfaceReport, vlan_id: int) -> dict[str, Any]:
    return {"type": report.type, "mac_address": mac(report.mac_address), "enabled": report.enabled,
            "vlan_id": vlan_id}


async def _sync_interfaces(conn: AsyncConnection, node_id: int, reports: Sequence[InterfaceReport],
                           existing: dict[str, dict], vlan_ids: dict[str, int], sync: InterfaceSync) -> dict[str, int]:
    """Rows matching the report, by name; returns every interface's id by name."""
    reported = {r.name for r in reports}
    gone = [row["id"] for name, row in existing.items() if name not in reported]
    if gone:
        await conn.execute(delete(t.interface).where(t.interface.c.id.in_(gone)))
        sync.deleted.extend(sorted(n for n in existing if n not in reported))
    changes = []
    for r in reports:
        row = existing.get(r.name)
        if row is not None:
            wanted = _wanted_row(r, vlan_ids[r.name])
            diff = {k: v for k, v in wanted.items() if row[k] != v}
            if diff:
                changes.append((row, diff))
    # MACs move first to nothing, so two interfaces swapping MACs never clash on the way.
    moving = [row["id"] for row, diff in changes if "mac_address" in diff]
    if moving:
        await conn.execute(update(t.interface).where(t.interface.c.id.in_(moving)).values(mac_address=None))
    for row, diff in changes:
        if "vlan_id" in diff:  # links belong to the old VLAN's subnets
            await conn.execute(delete(t.ip_address).where(t.ip_address.c.interface_id == row["id"]))
        await conn.execute(update(t.interface).where(t.interface.c.id == row["id"]).values(**diff))
        sync.updated.append(row["name"])
    ids = {name: row["id"] for name, row in existing.items() if name in reported}
    new = [r for r in reports if r.name not in existing]
    if new:
        rows = await conn.execute(insert(t.interface).returning(t.interface.c.id, t.interface.c.name),
                                  [{"node_id": node_id, "name": r.name, **_wanted_row(r, vlan_ids[r.name])}
                                   for r in new])
        ids.update({row.name: row.id for row in rows})
        sync.created.extend(r.name for r in new)
    await _sync_parents(conn, reports, ids, sync)
    return ids


async def _sync_parents(conn: AsyncConnection, reports: Sequence[InterfaceReport], ids: dict[str, int],
                        sync: InterfaceSync) -> None:
    rel = t.interface_relationship
    wanted = {(ids[p], ids[r.name]) for r in reports for p in r.parents}
    have = {(row.parent_id, row.child_id): row.id for row in await conn.execute(
        select(rel.c.id, rel.c.parent_id, rel.c.child_id).where(rel.c.child_id.in_(list(ids.values()))))}
    stale = [rid for pair, rid in have.items() if pair not in wanted]
    if stale:
        await conn.execute(delete(rel).where(rel.c.id.in_(stale)))
    missing = sorted(wanted - set(have))
    if missing:
        await conn.execute(insert(rel), [{"parent_id": p, "child_id": c} for p, c in missing])
    names = {v: k for k, v in ids.items()}
    children = {names[c] for (_, c) in missing} | {names[c] for (_, c), rid in have.items() if rid in stale}
    sync.updated.extend(sorted(n for n in children if n not in sync.updated and n not in sync.created))


async def _sync_addresses(conn: AsyncConnection, plan: Plan, ids: dict[str, int], subnet_ids: dict[str, int],
                          sync: InterfaceSync) -> None:
    """The node's sticky links: one per reported global address, on the interface carrying it."""
    ip = t.ip_address.c
    wanted: dict[str, tuple[int, int]] = {}  # ip -> (interface id, subnet id)
    for name, links in plan.links.items():
        for address, cidr in links:
            if cidr in subnet_ids and address not in wanted:
                wanted[address] = (ids[name], subnet_ids[cidr])
    mine = {str(ipaddress.ip_address(r.host)): r for r in await conn.execute(
        select(ip.id, func.host(ip.ip).label("host"), ip.interface_id, ip.subnet_id)
        .where(ip.interface_id.in_(list(ids.values())), ip.alloc_type == "sticky", ip.ip.is_not(None)))}
    if wanted:
        held = await conn.execute(
            select(func.host(ip.ip).label("host"), ip.alloc_type).where(
                ip.ip.in_([cast(a, INET) for a in wanted]), ip.alloc_type != "discovered",
                ip.id.not_in([r.id for r in mine.values()] or [-1])))
        for row in held:
            address = str(ipaddress.ip_address(row.host))
            sync.skipped.append(f"{address}: already held ({row.alloc_type.replace('_', ' ')})")
            wanted.pop(address, None)
    stale = [row.id for address, row in mine.items() if address not in wanted]
    if stale:
        await conn.execute(delete(t.ip_address).where(ip.id.in_(stale)))
    inserts = []
    for address, (iface_id, subnet_id) in wanted.items():
        row = mine.get(address)
        if row is None:
            inserts.append({"ip": address, "alloc_type": "sticky", "interface_id": iface_id, "subnet_id": subnet_id})
        elif (row.interface_id, row.subnet_id) != (iface_id, subnet_id):
            await conn.execute(update(t.ip_address).where(ip.id == row.id)
                               .values(interface_id=iface_id, subnet_id=subnet_id))
            sync.addresses_changed += 1
    if inserts:
        await conn.execute(insert(t.ip_address), inserts)
    sync.addresses_changed += len(stale) + len(inserts)


async def update_rack_interfaces(conn: AsyncConnection, node_id: int,
                                 interfaces: Sequence[InterfaceReport]) -> InterfaceSync:
    """Make node `node_id`'s interfaces, parents and addresses match the rack's report, placing
    new interfaces on VLANs and creating the fabrics, VLANs and subnets they need."""
    check_report(interfaces)
    await lock_ipam(conn)
    if await conn.scalar(select(t.node.c.id).where(t.node.c.id == node_id).with_for_update(key_share=True)) is None:
        raise NotFound.model("RackController")
    await _mac_clashes(conn, node_id, physical_macs(interfaces))
    existing, subnet_vlans, vlan_rows = await _load(conn, node_id)
    plan = place(interfaces, subnet_vlans, vlan_rows, {name: row["vlan_id"] for name, row in existing.items()})
    sync = InterfaceSync(skipped=[f"{name} {address}: overlaps a known subnet" for name, address in plan.unplaced])
    resolve = _Vlans(conn, vlan_rows, sync)
    await resolve.create_fabrics(plan.new_fabrics)
    vlan_ids = {name: await resolve.id(ref) for name, ref in plan.vlans.items()}
    subnet_ids = await _create_subnets(conn, plan, resolve, sync)
    ids = await _sync_interfaces(conn, node_id, interfaces, existing, vlan_ids, sync)
    await _sync_addresses(conn, plan, ids, subnet_ids, sync)
    return sync
