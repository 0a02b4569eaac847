"""The address plan's one write lock, and the rule that a VLAN serving DHCP keeps a dynamic
range: checks that must see what concurrent requests are about to write."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import Refused
from ironworks.db import tables as t

IPAM_LOCK = 0x1A05B7E  # one advisory lock for all address-plan writes


async def lock_ipam(conn: AsyncConnection) -> None:
    """Serialise check-then-write on CIDRs, ranges and DHCP switches between concurrent
    requests (e.g. turning DHCP on while its last dynamic range is deleted); held until the
    transaction ends."""
    await conn.execute(select(func.pg_advisory_xact_lock(IPAM_LOCK)))


async def guard_dhcp_pool(conn: AsyncConnection, vlan_id: int, what: str, *,
                          without_range: int | None = None, without_subnet: int | None = None) -> None:
    """Refuse `what` when it would leave a VLAN that serves DHCP without a dynamic range."""
    await lock_ipam(conn)
    vlan = (await conn.execute(
        select(t.vlan.c.dhcp_on, t.vlan.c.vid, t.fabric.c.name.label("fabric_name"))
        .join(t.fabric, t.fabric.c.id == t.vlan.c.fabric_id).where(t.vlan.c.id == vlan_id))).first()
    if vlan is None or not vlan.dhcp_on:
        return
    query = (select(func.count()).select_from(t.iprange.join(t.subnet, t.subnet.c.id == t.iprange.c.subnet_id))
             .where(t.subnet.c.vlan_id == vlan_id, t.iprange.c.type == "dynamic"))
    if without_range is not None:
        query = query.where(t.iprange.c.id != without_range)
    if without_subnet is not None:
        query = query.where(t.subnet.c.id != without_subnet)
    if not await conn.scalar(query):
        label = f"{vlan.fabric_name}.{vlan.vid}"
        raise Refused(f"Cannot {what}: VLAN {label} would have no dynamic range left, and DHCP is "
                         f"enabled on VLAN {label}; disable it first.")
