"""Reading nodes (machines and controllers) in bulk, with everything their JSON nests.

Listing N nodes costs the same handful of statements for any N: the nodes, then their
domains, zones and pools (`= ANY(:ids)`, a few ids), their interfaces joined with their
addresses and their services (a semi-join on the node query), and the subnets and VLANs those
refer to.  The renderer (`api/render_node.py`) then builds every shared nested object once per
response.  tests/test_query_counts.py pins the count; bench/api_list.py measures the time.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import Integer, String, Text, any_, bindparam, cast, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, MACADDR
from sqlalchemy.engine import Connection, Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from ironworks.common.errors import InvalidInput, NotFound
from ironworks.common.nodetypes import STATUS_NAMES
from ironworks.db import tables as t
from ironworks.region.services.dns import domains
from ironworks.region.services.nodes import pools, tags, zones

# The `status` filter takes MAAS's lower-case status names (`new`, `ready`, `failed_testing`...).
STATUS_BY_NAME: dict[str, int] = {
    name.lower().replace(" ", "_"): number for number, name in STATUS_NAMES.items()
}
STATUS_BY_NAME.update({"failed_releasing": 13, "failed_entering_rescue_mode": 18,
                       "failed_exiting_rescue_mode": 20})

NODE_COLUMNS = (
    t.node.c.id, t.node.c.system_id, t.node.c.hostname, t.node.c.description, t.node.c.node_type,
    t.node.c.domain_id, t.node.c.zone_id, t.node.c.pool_id, t.node.c.architecture, t.node.c.status,
    t.node.c.status_message, t.node.c.power_type, t.node.c.power_state, t.node.c.cpu_count,
    t.node.c.cpu_speed, t.node.c.memory, t.node.c.osystem, t.node.c.distro_series,
    t.node.c.hwe_kernel, t.node.c.min_hwe_kernel, t.node.c.locked, t.node.c.netboot,
    t.node.c.version, t.user.c.username.label("owner"), t.node.c.gateway_link_ipv4_id,
    t.node.c.gateway_link_ipv6_id,
)

_PARENT = t.node.alias("parent")
# What a device shows beyond the listing columns; they follow NODE_FIELDS in a row that has them.
DEVICE_COLUMNS = (
    select(_PARENT.c.system_id).where(_PARENT.c.id == t.node.c.parent_id)
    .scalar_subquery().label("parent"),
    t.node.c.owner_data,
)

NODE_FIELDS = tuple(c.name for c in NODE_COLUMNS)
NODE = namedtuple("NodeIndex", NODE_FIELDS)(*range(len(NODE_FIELDS)))  # NODE.hostname == 2
# An interface row and its address rows are the same joined row: interface columns first,
# then the address's (None when the interface has no address).
INTERFACE_FIELDS = ("id", "node_id", "name", "type", "mac_address", "enabled", "vlan_id", "params",
                    "parents", "children", "address_id", "alloc_type", "subnet_id", "ip")  # ip: text, no prefix length
SERVICE_FIELDS = ("node_id", "name", "status", "status_info")


@dataclass
class NodeFilter:
    """MAAS's node filters for `read`; lists are OR-ed, different filters AND-ed."""

    hostnames: Sequence[str] = ()
    system_ids: Sequence[str] = ()
    macs: Sequence[str] = ()
    zone: str | None = None
    pool: str | None = None
    domain: str | None = None
    archs: Sequence[str] = ()
    status: str | None = None
    owner: str | None = None
    tags: Sequence[str] = ()  # the node has every one of them
    not_tags: Sequence[str] = ()  # the node has none of them
    visible_to: int | None = None  # a non-administrator's user id: unowned nodes and their own


@dataclass
class NodeData:
    """Rows for rendering; related rows are keyed by id, children by parent id.

    Node, interface/address and service rows are plain sequences (positional, for speed: a
    10,000-node listing reads hundreds of thousands of values) in the orders of NODE_FIELDS,
    INTERFACE_FIELDS and SERVICE_FIELDS.  The few shared related rows
    (domains, zones, pools, VLANs, subnets) are mappings, as `api/render.py` takes them.
    """

    nodes: list[Sequence[Any]]
    domains: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    zones: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    pools: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    interfaces: dict[int, list[Sequence[Any]]] = field(default_factory=dict)  # by node id, id order
    addresses: dict[int, list[Sequence[Any]]] = field(default_factory=dict)  # by interface id
    vlans: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    subnets: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    services: dict[int, list[Sequence[Any]]] | None = None  # by node id; None: not controllers
    tags: dict[int, list[str]] = field(default_factory=dict)  # tag names by node id, sorted


def _ids(name: str, values: Iterable[Any], kind: Any = Integer) -> Any:
    return any_(bindparam(name, list(values), type_=ARRAY(kind)))


async def _filter_clauses(conn: AsyncConnection, f: NodeFilter) -> list[Any]:
    clauses: list[Any] = []
    if f.hostnames:
        # Hostnames are unique; a client may pass an FQDN (libmaas strips it, maascli may not).
        hosts = {h.split(".", 1)[0] for h in f.hostnames}
        clauses.append(t.node.c.hostname == _ids("hostnames", hosts, String))
    if f.system_ids:
        clauses.append(t.node.c.system_id == _ids("system_ids", f.system_ids, String))
    if f.macs:
        with_mac = select(t.interface.c.node_id).where(
            t.interface.c.mac_address == any_(cast(bindparam("macs", list(f.macs), type_=ARRAY(Text)),
                                                   ARRAY(MACADDR))))
        clauses.append(t.node.c.id.in_(with_mac.scalar_subquery()))
    if f.zone is not None:
        clauses.append(t.node.c.zone_id == await zones.zone_id(conn, f.zone))
    if f.pool is not None:
        clauses.append(t.node.c.pool_id == await pools.pool_id(conn, f.pool))
    if f.domain is not None:
        clauses.append(t.node.c.domain_id == await domains.domain_id(conn, f.domain))
    if f.archs:
        exact = [a for a in f.archs if "/" in a]
        bare = [a + "/%" for a in f.archs if "/" not in a]
        clauses.append(or_(t.node.c.architecture == _ids("archs", exact, String),
                           t.node.c.architecture.like(_ids("arch_prefixes", bare, String))))
    if f.status is not None:
        key = f.status.strip().lower().replace(" ", "_")
        number = int(key) if key.isdigit() else STATUS_BY_NAME.get(key)
        if number not in STATUS_NAMES:
            raise InvalidInput.field(
                "status", f"'{f.status}' is not a valid status; use one of {', '.join(STATUS_BY_NAME)}.")
        clauses.append(t.node.c.status == number)
    if f.owner is not None:
        clauses.append(t.user.c.username == f.owner)
    if f.visible_to is not None:
        clauses.append(or_(t.node.c.owner_id.is_(None), t.node.c.owner_id == f.visible_to))
    if f.tags:
        wanted = await tags.tag_ids(conn, f.tags, "tags")
        with_all = (select(t.node_tag.c.node_id).where(t.node_tag.c.tag_id == _ids("tag_ids", wanted))
                    .group_by(t.node_tag.c.node_id).having(func.count() == len(wanted)))
        clauses.append(t.node.c.id.in_(with_all.scalar_subquery()))
    if f.not_tags:
        unwanted = await tags.tag_ids(conn, f.not_tags, "not_tags")
        with_any = select(t.node_tag.c.node_id).where(t.node_tag.c.tag_id == _ids("not_tag_ids", unwanted))
        clauses.append(t.node.c.id.not_in(with_any.scalar_subquery()))
    return clauses


def _driver_rows(sync_conn: Connection, stmt: Select) -> list[tuple]:
    compiled = stmt.compile(dialect=sync_conn.dialect, compile_kwargs={"render_postcompile": True})
    result = sync_conn.exec_driver_sql(str(compiled), compiled.params)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


async def tuples(conn: AsyncConnection, stmt: Select) -> list[tuple]:
    """The rows of `stmt` as the driver's plain tuples.  Building SQLAlchemy Row objects costs
    microseconds per row, most of a 10,000-node listing; this skips it.  The statement still
    goes through SQLAlchemy's execution events, so it is counted like any other."""
    return await conn.run_sync(_driver_rows, stmt)


def node_query(types: Sequence[int]) -> Select:
    return (select(*NODE_COLUMNS)
            .select_from(t.node.outerjoin(t.user, t.user.c.id == t.node.c.owner_id))
            .where(t.node.c.node_type == _ids("types", types))
            .order_by(t.node.c.id))


async def fetch_nodes(conn: AsyncConnection, types: Sequence[int], f: NodeFilter | None = None,
                      *, services: bool = False, extra: Sequence[Any] = ()) -> NodeData:
    """Nodes of `types` matching `f`; `extra` columns (e.g. DEVICE_COLUMNS) follow NODE_FIELDS."""
    query = node_query(types).add_columns(*extra)
    for clause in await _filter_clauses(conn, f or NodeFilter()):
        query = query.where(clause)
    nodes = await tuples(conn, query)
    return await fetch_related(conn, nodes, query.with_only_columns(t.node.c.id).order_by(None),
                               services=services)


async def fetch_related(conn: AsyncConnection, nodes: Sequence[Sequence[Any]], node_ids: Select, *,
                        services: bool = False) -> NodeData:
    """Everything `nodes` nest.  `node_ids` selects the same nodes' ids: related rows are
    fetched with it as a sub-query (a semi-join), which plans and runs faster than a
    10,000-element array parameter."""
    data = NodeData(list(nodes))
    if not nodes:
        return data
    ids = node_ids.scalar_subquery()
    data.domains = await _by_id(conn, t.domain, {n[NODE.domain_id] for n in nodes})
    data.zones = await _by_id(conn, t.zone, {n[NODE.zone_id] for n in nodes})
    data.pools = await _by_id(conn, t.resource_pool, {n[NODE.pool_id] for n in nodes} - {None})

    # Interfaces and their addresses in one query (an interface without addresses comes once,
    # with NULL address columns).
    iface, ip = t.interface.c, t.ip_address.c
    rows = await tuples(conn, (
        select(iface.id, iface.node_id, iface.name, iface.type, iface.mac_address, iface.enabled,
               iface.vlan_id, cast(iface.params, Text), *_relatives(), ip.id, ip.alloc_type, ip.subnet_id,
               func.host(ip.ip))
        .select_from(t.interface.outerjoin(t.ip_address, ip.interface_id == iface.id))
        .where(iface.node_id.in_(ids))
        .order_by(iface.id, ip.id)))
    # Group without allocating per row where possible: every container made here is work
    # for the cyclic GC at 20,000 rows.
    interfaces, addresses = data.interfaces, data.addresses
    last = None
    for row in rows:
        iface_id = row[0]
        if iface_id != last:
            last = iface_id
            node_ifaces = interfaces.get(row[1])
            if node_ifaces is None:
                interfaces[row[1]] = [row]
            else:
                node_ifaces.append(row)
        if row[10] is not None:
            iface_addrs = addresses.get(iface_id)
            if iface_addrs is None:
                addresses[iface_id] = [row]
            else:
                iface_addrs.append(row)
    subnet_ids = {row[12] for row in rows} - {None}
    vlan_ids = {row[6] for row in rows} - {None}

    data.subnets = await fetch_subnets(conn, subnet_ids)
    vlan_ids |= {s["vlan_id"] for s in data.subnets.values()}
    data.vlans = await fetch_vlans(conn, vlan_ids)
    for node_id, name in await tuples(conn, select(t.node_tag.c.node_id, t.tag.c.name)
                                      .join(t.tag, t.tag.c.id == t.node_tag.c.tag_id)
                                      .where(t.node_tag.c.node_id.in_(ids)).order_by(t.tag.c.name)):
        data.tags.setdefault(node_id, []).append(name)
    if services:
        svc = t.service.c
        data.services = {}
        for row in await tuples(conn, select(svc.node_id, svc.name, svc.status, svc.status_info)
                                .where(svc.node_id.in_(ids)).order_by(svc.name)):
            data.services.setdefault(row[0], []).append(row)
    return data


def _relatives() -> tuple[Any, Any]:
    """An interface's parents' and children's names (bond members, a VLAN's parent...), as two
    correlated arrays, so the listing keeps its statement count; most interfaces have none."""
    rel, other = t.interface_relationship, t.interface.alias("relative")

    def names(mine: Any, theirs: Any) -> Any:
        return func.array(select(other.c.name).select_from(rel.join(other, other.c.id == theirs))
                          .where(mine == t.interface.c.id).order_by(other.c.name).scalar_subquery())

    return names(rel.c.child_id, rel.c.parent_id), names(rel.c.parent_id, rel.c.child_id)


async def _by_id(conn: AsyncConnection, table: Any, ids: set[int]) -> dict[int, Mapping[str, Any]]:
    rows = await conn.execute(select(table).where(table.c.id == _ids("ids", ids)))
    return {r.id: dict(r._mapping) for r in rows.all()}


async def fetch_subnets(conn: AsyncConnection, ids: set[int]) -> dict[int, Mapping[str, Any]]:
    """Subnet rows as `render.subnet` takes them (with the space name of their VLAN)."""
    rows = await conn.execute(
        select(t.subnet, t.space.c.name.label("space_name"))
        .select_from(t.subnet.join(t.vlan, t.vlan.c.id == t.subnet.c.vlan_id)
                     .outerjoin(t.space, t.space.c.id == t.vlan.c.space_id))
        .where(t.subnet.c.id == _ids("subnet_ids", ids)))
    return {r.id: dict(r._mapping) for r in rows}


async def fetch_vlans(conn: AsyncConnection, ids: set[int]) -> dict[int, Mapping[str, Any]]:
    """VLAN rows as `render.vlan` takes them, plus the VLANs they relay to."""
    primary, secondary = t.node.alias("primary_rack"), t.node.alias("secondary_rack")
    relays = select(t.vlan.c.relay_vlan_id).where(t.vlan.c.id == _ids("vlan_ids", ids))
    rows = await conn.execute(
        select(t.vlan, t.fabric.c.name.label("fabric_name"), t.space.c.name.label("space_name"),
               primary.c.system_id.label("primary_rack_system_id"),
               secondary.c.system_id.label("secondary_rack_system_id"))
        .select_from(t.vlan.join(t.fabric, t.fabric.c.id == t.vlan.c.fabric_id)
                     .outerjoin(t.space, t.space.c.id == t.vlan.c.space_id)
                     .outerjoin(primary, primary.c.id == t.vlan.c.primary_rack_id)
                     .outerjoin(secondary, secondary.c.id == t.vlan.c.secondary_rack_id))
        .where(or_(t.vlan.c.id == _ids("vlan_ids", ids), t.vlan.c.id.in_(relays.scalar_subquery()))))
    return {r.id: dict(r._mapping) for r in rows}


async def get_node(conn: AsyncConnection, system_id: str, types: Sequence[int], model: str) -> Row:
    """One node's row (the listing columns, plus power parameters and owner id), or 404
    `No <model> ...`."""
    row = (await conn.execute(
        node_query(types).add_columns(t.node.c.power_parameters, t.node.c.owner_id)
        .where(t.node.c.system_id == system_id)
    )).first()
    if row is None:
        raise NotFound.model(model)
    return row


async def read_node(conn: AsyncConnection, system_id: str, types: Sequence[int], model: str,
                    *, services: bool = False, extra: Sequence[Any] = ()) -> NodeData:
    node = await get_node(conn, system_id, types, model)
    if extra:  # the same row with the extra columns after the listing columns
        node = (await conn.execute(node_query(types).add_columns(*extra)
                                   .where(t.node.c.id == node.id))).one()
    return await fetch_related(conn, [node], select(t.node.c.id).where(t.node.c.id == node.id),
                               services=services)
