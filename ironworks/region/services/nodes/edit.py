"""Creating and editing nodes: the rules shared by machines and controllers.

Updates are partial: a `NodeEdit` holds only what the client supplied (None: not supplied).
Every rule is checked before anything is written, and the request's transaction rolls back on
any refusal, so a refused request leaves the stored node unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import Text, any_, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY, MACADDR
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput
from ironworks.common.ids import new_system_id
from ironworks.common.nodetypes import MACHINE_TYPES, NodeStatus, NodeType
from ironworks.common.power_types import check_power_parameters, check_power_type
from ironworks.db import tables as t
from ironworks.region.services.dns import domains
from ironworks.region.services.nodes import hostnames, pools, zones
from ironworks.region.services.nodes import query as nodes
from ironworks.region.services.nodes.architectures import normalise_architecture
from ironworks.region.services.unique import duplicate_means

_KERNEL = re.compile(r"^(hwe|ga)-(\d{2}\.\d{2}|[a-z])(-[a-z0-9]+)*$")


@dataclass
class NodeEdit:
    hostname: str | None = None
    domain: str | None = None
    zone: str | None = None
    pool: str | None = None
    description: str | None = None
    architecture: str | None = None
    cpu_count: int | None = None
    memory: int | None = None
    power_type: str | None = None
    power_parameters: dict[str, Any] | None = None
    # True: `power_parameters` replaces the stored set (a JSON object was sent); False: the
    # individual `power_parameters_<key>` fields are merged into it.
    power_parameters_replace: bool = False
    power_skip_check: bool = False
    min_hwe_kernel: str | None = None  # "" clears it


def check_kernel(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    if not _KERNEL.match(text):
        raise InvalidInput.field(
            "min_hwe_kernel", f"'{value}' is not a valid kernel: use a name such as 'hwe-22.04' or "
                              "'ga-24.04' (blank clears it).")
    return text


def hostname_taken(host: str) -> InvalidInput:
    return InvalidInput.field("hostname", f"A node with hostname '{host}' already exists.")


async def _hostname_and_domain(conn: AsyncConnection, edit: NodeEdit, node_id: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    domain_ref = edit.domain
    if edit.hostname is not None:
        host, _, in_name = edit.hostname.partition(".")
        if in_name:  # an FQDN: its domain part must exist and agree with `domain`
            named = await domains.domain_id(conn, in_name, "hostname")
            if domain_ref is not None and await domains.domain_id(conn, domain_ref) != named:
                raise InvalidInput.field(
                    "hostname", f"The hostname's domain '{in_name}' differs from domain '{domain_ref}'.")
            values["domain_id"] = named
        query = select(t.node.c.hostname).where(func.lower(t.node.c.hostname) == host.lower())
        if node_id is not None:
            query = query.where(t.node.c.id != node_id)
        if await conn.scalar(query):
            raise hostname_taken(host)
        values["hostname"] = host
    if domain_ref is not None and "domain_id" not in values:
        values["domain_id"] = await domains.domain_id(conn, domain_ref)
    return values


async def edit_values(conn: AsyncConnection, edit: NodeEdit, current: Row | None) -> dict[str, Any]:
    """The node columns to write for `edit`, every rule checked first."""
    values = await _hostname_and_domain(conn, edit, current.id if current is not None else None)
    if edit.zone is not None:
        values["zone_id"] = await zones.zone_id(conn, edit.zone)
    if edit.pool is not None:
        values["pool_id"] = await pools.pool_id(conn, edit.pool)
    if edit.description is not None:
        values["description"] = edit.description
    if edit.architecture is not None:
        values["architecture"] = normalise_architecture(edit.architecture)
    if edit.cpu_count is not None:
        values["cpu_count"] = edit.cpu_count
    if edit.memory is not None:
        values["memory"] = edit.memory
    if edit.min_hwe_kernel is not None:
        values["min_hwe_kernel"] = check_kernel(edit.min_hwe_kernel)
    if edit.power_type is not None or edit.power_parameters is not None:
        old_type = current.power_type if current is not None else ""
        new_type = check_power_type(edit.power_type if edit.power_type is not None else old_type)
        keep = (current is not None and new_type == old_type and not edit.power_parameters_replace)
        params = {**(current.power_parameters if keep else {}), **(edit.power_parameters or {})}
        values["power_type"] = new_type
        values["power_parameters"] = check_power_parameters(new_type, params, edit.power_skip_check)
    return values


async def check_macs(conn: AsyncConnection, macs: Sequence[str]) -> None:
    seen: set[str] = set()
    for mac in macs:
        if mac in seen:
            raise InvalidInput.field("mac_addresses", f"MAC address {mac} is given more than once.")
        seen.add(mac)
    used = (await conn.execute(
        select(cast(t.interface.c.mac_address, Text).label("mac"), t.node.c.hostname)
        .select_from(t.interface.join(t.node, t.node.c.id == t.interface.c.node_id))
        .where(t.interface.c.type == "physical",
               t.interface.c.mac_address == any_(cast(bindparam("macs", list(macs), type_=ARRAY(Text)),
                                                      ARRAY(MACADDR))))
        .order_by(t.interface.c.id)
    )).first()
    if used is not None:
        raise InvalidInput.field(
            "mac_addresses", f"MAC address {used.mac} is already in use on node '{used.hostname}'.")


async def new_free_system_id(conn: AsyncConnection) -> str:
    while True:
        system_id = new_system_id()
        if not await conn.scalar(select(t.node.c.id).where(t.node.c.system_id == system_id)):
            return system_id


async def create_machine(conn: AsyncConnection, edit: NodeEdit, macs: Sequence[str]) -> str:
    """A new machine in status New with one physical interface per MAC (eth0, eth1, ...).
    Interfaces have no VLAN yet: that is learnt when the machine is commissioned."""
    await check_macs(conn, macs)
    if edit.hostname is None:
        edit.hostname = await hostnames.generate_hostname(conn)
    values = await edit_values(conn, edit, None)
    values.setdefault("domain_id", await domains.default_domain_id(conn))
    values.setdefault("zone_id", zones.DEFAULT_ZONE_ID)
    values.setdefault("pool_id", pools.DEFAULT_POOL_ID)
    system_id = await new_free_system_id(conn)
    with duplicate_means(hostname_taken(values["hostname"]), "uq_node_hostname"):
        node_id = await conn.scalar(insert(t.node).values(
            system_id=system_id, node_type=NodeType.MACHINE, status=NodeStatus.NEW, **values).returning(t.node.c.id))
    await conn.execute(insert(t.interface), [
        {"node_id": node_id, "name": f"eth{i}", "type": "physical", "mac_address": mac, "vlan_id": None}
        for i, mac in enumerate(macs)])
    return system_id


async def update_node(conn: AsyncConnection, system_id: str, types: Sequence[int], model: str,
                      edit: NodeEdit) -> None:
    current = await nodes.get_node(conn, system_id, types, model)
    values = await edit_values(conn, edit, current)
    if values:
        with duplicate_means(hostname_taken(values.get("hostname", "")), "uq_node_hostname"):
            await conn.execute(update(t.node).where(t.node.c.id == current.id)
                               .values(**values, updated=func.now()))


async def delete_machine(conn: AsyncConnection, system_id: str) -> None:
    current = await nodes.get_node(conn, system_id, MACHINE_TYPES, "Machine")
    await conn.execute(delete(t.node).where(t.node.c.id == current.id))
