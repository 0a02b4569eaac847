"""Rack controllers registering over the rack channel, and the services they report.

A rack is matched to an existing node by system id, else hostname (case-insensitively), else
any of its physical MACs; a machine or device so matched becomes a rack controller, a region a
region+rack controller.  Otherwise a new rack controller is made.  Its interfaces are then made
to match its report (rack_interfaces.py), its service rows exist, and the controllers' version
warning is refreshed.

Two regions may register the same rack at the same moment (it dials every region): the match
and the write run under transaction-level advisory locks on its hostname, MACs and system id,
taken in one order, so the second waits for the first to commit and then finds its node.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Sequence

from sqlalchemy import Text, cast, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, NotFound
from ironworks.common.ids import new_system_id
from ironworks.common.nodetypes import NodeStatus, NodeType
from ironworks.common.protocol.interfaces import InterfaceReport
from ironworks.common.protocol.services import RACK_SERVICES, RACKD, SERVICE_STATUSES
from ironworks.db import tables as t
from ironworks.region.cluster.liveness import NOT_CONNECTED
from ironworks.region.services.controllers.rack_interfaces import (
    InterfaceSync,
    check_report,
    physical_macs,
    update_rack_interfaces,
)
from ironworks.region.services.controllers.regions import (
    DEFAULT_DOMAIN_ID,
    DEFAULT_ZONE_ID,
)
from ironworks.region.services.controllers.versions import refresh_version_warning

_LOCK_SPACE = 0x1A05  # the first key of the two-key advisory locks taken here


@dataclass(frozen=True)
class RegisteredRack:
    node_id: int
    system_id: str
    created: bool
    # What the interface report changed, and what it skipped (for the log).
    interfaces: InterfaceSync | None = field(default=None, compare=False)


def as_rack(node_type: int) -> NodeType:
    """What a node becomes when it registers as a rack."""
    if node_type in (NodeType.REGION_CONTROLLER, NodeType.REGION_AND_RACK_CONTROLLER):
        return NodeType.REGION_AND_RACK_CONTROLLER
    return NodeType.RACK_CONTROLLER


def lock_keys(hostname: str, macs: Sequence[str], system_id: str | None) -> list[int]:
    """The advisory lock keys (signed 32-bit) for a registration, sorted so that every
    registration takes its locks in one global order (no deadlock between racks sharing one)."""
    names = [f"host:{hostname.lower()}", *(f"mac:{m}" for m in macs)]
    if system_id:
        names.append(f"sid:{system_id}")
    keys = {int.from_bytes(hashlib.blake2b(n.encode(), digest_size=4).digest(), "big", signed=True)
            for n in names}
    return sorted(keys)


async def _lock(conn: AsyncConnection, keys: Sequence[int]) -> None:
    for key in keys:
        await conn.execute(select(func.pg_advisory_xact_lock(_LOCK_SPACE, key)))


async def _match(conn: AsyncConnection, system_id: str | None, hostname: str, macs: Sequence[str]):  # noqa: ANN202
    n = t.node.c
    columns = (n.id, n.system_id, n.node_type)
    if system_id:
        row = (await conn.execute(select(*columns).where(n.system_id == system_id))).first()
        if row is not None:
            return row
    row = (await conn.execute(select(*columns).where(func.lower(n.hostname) == hostname.lower()))).first()
    if row is not None or not macs:
        return row
    return (await conn.execute(
        select(*columns).join(t.interface, t.interface.c.node_id == n.id)
        .where(t.interface.c.type == "physical", cast(t.interface.c.mac_address, Text).in_(list(macs)))
        .order_by(n.id).limit(1))).first()


async def _ensure_services(conn: AsyncConnection, node_id: int) -> None:
    """The rack's service rows, where missing: rackd dead until its channel says otherwise,
    the others off until the rack reports them.  Existing rows keep what they say."""
    rows = [{"node_id": node_id, "name": RACKD, "status": "dead", "status_info": NOT_CONNECTED}]
    rows += [{"node_id": node_id, "name": name, "status": "off", "status_info": ""} for name in RACK_SERVICES]
    await conn.execute(pg_insert(t.service).on_conflict_do_nothing(index_elements=["node_id", "name"]), rows)


async def register_rack(conn: AsyncConnection, *, system_id: str | None, hostname: str,
                        interfaces: list[InterfaceReport], version: str) -> RegisteredRack:
    """Find or make the rack's node, make it a rack controller, and bring its version, services
    and interfaces up to date; all in the caller's transaction."""
    hostname = hostname.strip()
    if not hostname or len(hostname) > 255:
        raise InvalidInput.field("hostname", f"'{hostname}' is not a valid hostname.")
    if system_id is not None and not 0 < len(system_id) <= 41:
        raise InvalidInput.field("system_id", f"'{system_id}' is not a valid system id.")
    check_report(interfaces)
    macs = physical_macs(interfaces)
    await _lock(conn, lock_keys(hostname, macs, system_id))
    row = await _match(conn, system_id, hostname, macs)
    if row is not None:
        values: dict = {"node_type": as_rack(row.node_type), "version": version}
        if row.node_type in (NodeType.MACHINE, NodeType.DEVICE):
            values.update(status=NodeStatus.DEPLOYED, parent_id=None)
        await conn.execute(update(t.node).where(t.node.c.id == row.id).values(**values))
        node_id, system_id, created = row.id, row.system_id, False
    else:
        system_id = system_id or new_system_id()
        node_id = await conn.scalar(insert(t.node).values(
            system_id=system_id, hostname=hostname, node_type=NodeType.RACK_CONTROLLER,
            domain_id=DEFAULT_DOMAIN_ID, zone_id=DEFAULT_ZONE_ID, architecture="amd64/generic",
            status=NodeStatus.DEPLOYED, version=version,
        ).returning(t.node.c.id))
        created = True
    await _ensure_services(conn, node_id)
    sync = await update_rack_interfaces(conn, node_id, interfaces)
    await refresh_version_warning(conn)
    return RegisteredRack(node_id, system_id, created, sync)


async def report_services(conn: AsyncConnection, node_id: int, services: dict[str, tuple[str, str]]) -> None:
    """Record what the rack says of its services ({name: (status, info)}).  Names the region
    does not know (a newer rack's) and `rackd` (the channel's to say) are ignored; a status
    outside the service table's is refused."""
    bad = {name: status for name, (status, _) in services.items() if status not in SERVICE_STATUSES}
    if bad:
        listed = ", ".join(f"{name}={status!r}" for name, status in sorted(bad.items()))
        raise InvalidInput.field("services", f"Unknown service status(es): {listed}; use one of "
                                             f"{', '.join(SERVICE_STATUSES)}.")
    rows = [{"node_id": node_id, "name": name, "status": status, "status_info": info}
            for name, (status, info) in sorted(services.items()) if name in RACK_SERVICES]
    if await conn.scalar(select(t.node.c.id).where(t.node.c.id == node_id).with_for_update(key_share=True)) is None:
        raise NotFound.model("RackController")
    if not rows:
        return
    stmt = pg_insert(t.service).values(rows)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=["node_id", "name"],
        set_={"status": stmt.excluded.status, "status_info": stmt.excluded.status_info, "updated": func.now()}))
