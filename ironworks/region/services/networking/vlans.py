"""VLANs: create, update (including the DHCP rules of vlan_rules) and delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, Refused
from ironworks.db import tables as t
from ironworks.region.services.names import as_int
from ironworks.region.services.networking import vlan_rules
from ironworks.region.services.networking.address_plan import lock_ipam
from ironworks.region.services.networking.lookups import resolve_space, vlan_label

DHCP_KEYS = ("dhcp_on", "primary_rack", "secondary_rack", "relay_vlan")


async def _check_vid_free(conn: AsyncConnection, fabric_id: int, vid: int, fabric_name: str) -> None:
    taken = await conn.scalar(select(func.count()).where(t.vlan.c.fabric_id == fabric_id, t.vlan.c.vid == vid))
    if taken:
        raise InvalidInput.field("vid", f"VLAN {vid} already exists on fabric {fabric_name}.")


async def create_vlan(conn: AsyncConnection, fabric: dict, fields: dict[str, Any]) -> int:
    """A new VLAN on `fabric`; DHCP stays off (it needs ranges and racks set up afterwards)."""
    await _check_vid_free(conn, fabric["id"], fields["vid"], fabric["name"])
    if fields.get("dhcp_on"):
        # A new VLAN has no subnets yet, so it cannot have the dynamic range DHCP needs.
        errors = {"dhcp_on": [vlan_rules.RANGE_NEEDED]}
        if not fields.get("primary_rack"):
            errors["__all__"] = [vlan_rules.PRIMARY_NEEDED]
        raise InvalidInput(errors)
    space_id = await resolve_space(conn, fields.get("space"))
    return await conn.scalar(insert(t.vlan).values(
        fabric_id=fabric["id"], vid=fields["vid"], name=fields.get("name") or None,
        description=fields.get("description", ""), mtu=fields.get("mtu", 1500), space_id=space_id,
    ).returning(t.vlan.c.id))


async def _racks(conn: AsyncConnection, system_ids: list[str], vlan_id: int) -> dict[str, tuple[int, vlan_rules.Rack]]:
    """The nodes named as racks, with whether each has an interface on the VLAN."""
    if not system_ids:
        return {}
    on_vlan = exists().where(t.interface.c.node_id == t.node.c.id, t.interface.c.vlan_id == vlan_id)
    up = exists().where(t.rack_connection.c.node_id == t.node.c.id)
    rows = await conn.execute(select(t.node.c.id, t.node.c.system_id, t.node.c.hostname,
                                     t.node.c.node_type, on_vlan.label("on_vlan"), up.label("up"))
                              .where(t.node.c.system_id.in_(system_ids)))
    return {r.system_id: (r.id, vlan_rules.Rack(r.system_id, r.hostname, r.node_type, r.on_vlan, r.up))
            for r in rows}


async def _has_dynamic_range(conn: AsyncConnection, vlan_id: int) -> bool:
    return bool(await conn.scalar(select(exists().where(
        t.iprange.c.subnet_id == t.subnet.c.id, t.subnet.c.vlan_id == vlan_id,
        t.iprange.c.type == "dynamic"))))


async def _dhcp_values(conn: AsyncConnection, row: dict, changes: dict[str, Any]) -> dict[str, Any]:
    """The column values for the DHCP fields after `changes`, checked by vlan_rules."""
    wanted = {k: changes[k] for k in DHCP_KEYS if k in changes}
    if not wanted:
        return {}
    if wanted.get("dhcp_on"):
        await lock_ipam(conn)  # the dynamic range checked below must not vanish meanwhile
    if "relay_vlan" in wanted and wanted["relay_vlan"] is not None:
        relay_id = as_int(wanted["relay_vlan"])
        if relay_id is None:
            raise InvalidInput.field("relay_vlan", f"'{wanted['relay_vlan']}' is not a VLAN id.")
        wanted["relay_vlan"] = relay_id
    named = [s for s in (wanted.get("primary_rack"), wanted.get("secondary_rack")) if s]
    racks = await _racks(conn, named + [row["primary_rack_system_id"]] * bool(row["primary_rack_system_id"]),
                         row["id"])
    relay = wanted.get("relay_vlan")
    existing = frozenset([relay]) if relay is not None and await conn.scalar(
        select(func.count()).where(t.vlan.c.id == relay)) else frozenset()
    facts = vlan_rules.VlanFacts(
        vlan_id=row["id"], label=vlan_label(row),
        has_dynamic_range=bool(wanted.get("dhcp_on")) and await _has_dynamic_range(conn, row["id"]),
        racks={sid: rack for sid, (_, rack) in racks.items()}, existing_vlans=existing)
    current = vlan_rules.DhcpSettings(row["dhcp_on"], row["primary_rack_system_id"],
                                      row["secondary_rack_system_id"], row["relay_vlan_id"])
    new = vlan_rules.apply_dhcp_change(current, wanted, facts)
    node_ids = {sid: node_id for sid, (node_id, _) in racks.items()}
    node_ids[row["primary_rack_system_id"]] = row["primary_rack_id"]
    node_ids[row["secondary_rack_system_id"]] = row["secondary_rack_id"]
    return {"dhcp_on": new.dhcp_on, "primary_rack_id": node_ids.get(new.primary_rack),
            "secondary_rack_id": node_ids.get(new.secondary_rack), "relay_vlan_id": new.relay_vlan}


async def update_vlan(conn: AsyncConnection, row: dict, changes: dict[str, Any]) -> None:
    """Apply the supplied fields (None clears a reference) to the VLAN `row` (a load_vlans row)."""
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = changes["name"] or None
    for key in ("description", "mtu"):
        if key in changes:
            values[key] = changes[key]
    if "vid" in changes and changes["vid"] != row["vid"]:
        if row["vid"] == 0:
            raise InvalidInput.field("vid", f"VLAN {vlan_label(row)} is the untagged VLAN of its "
                                                "fabric; it cannot be renumbered.")
        await _check_vid_free(conn, row["fabric_id"], changes["vid"], row["fabric_name"])
        values["vid"] = changes["vid"]
    if "space" in changes:
        values["space_id"] = await resolve_space(conn, changes["space"])
    values.update(await _dhcp_values(conn, row, changes))
    if values:
        await conn.execute(update(t.vlan).where(t.vlan.c.id == row["id"]).values(**values))


async def vlans_in_use(conn: AsyncConnection, vlan_ids: list[int]) -> list[str]:
    """What keeps these VLANs from being deleted, in words (empty when nothing does)."""
    subnets = await conn.execute(select(t.subnet.c.cidr).where(t.subnet.c.vlan_id.in_(vlan_ids))
                                 .order_by(t.subnet.c.cidr))
    cidrs = [str(c) for (c,) in subnets]
    interfaces = await conn.execute(
        select(t.node.c.hostname, t.interface.c.name)
        .join(t.node, t.node.c.id == t.interface.c.node_id)
        .where(t.interface.c.vlan_id.in_(vlan_ids)).order_by(t.node.c.hostname, t.interface.c.name))
    names = [f"{h}:{n}" for h, n in interfaces]
    relayed = await conn.execute(select(t.vlan.c.id).where(t.vlan.c.relay_vlan_id.in_(vlan_ids),
                                                            t.vlan.c.id.not_in(vlan_ids)))
    relaying = [str(i) for (i,) in relayed]
    reasons = []
    if cidrs:
        reasons.append("subnet(s) " + ", ".join(cidrs[:5]) + (" …" if len(cidrs) > 5 else ""))
    if names:
        reasons.append("interface(s) " + ", ".join(names[:5]) + (" …" if len(names) > 5 else ""))
    if relaying:
        reasons.append("DHCP relay from VLAN id(s) " + ", ".join(relaying))
    return reasons


async def delete_vlan(conn: AsyncConnection, row: dict) -> None:
    if row["vid"] == 0:
        raise Refused(f"VLAN {vlan_label(row)} is the untagged VLAN of fabric {row['fabric_name']}; "
                         "it cannot be deleted (delete the fabric instead).")
    reasons = await vlans_in_use(conn, [row["id"]])
    if reasons:
        raise Refused(f"Cannot delete VLAN {vlan_label(row)}: it is in use by " + "; ".join(reasons) + ".")
    await conn.execute(delete(t.vlan).where(t.vlan.c.id == row["id"]))
