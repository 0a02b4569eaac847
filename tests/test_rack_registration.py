"""Rack registration, its network model and its services, on a real PostgreSQL (a fresh
migrated database per test)."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ironworks import __version__
from ironworks.common.errors import Conflict, InvalidInput
from ironworks.common.nodetypes import NodeStatus, NodeType
from ironworks.common.protocol.interfaces import InterfaceReport
from ironworks.db.connect import Target, async_engine
from ironworks.db.migrate import migrate
from ironworks.lab.harness import DB_PASSWORD, Cluster
from ironworks.lab.nodes import add_node
from ironworks.region.services.controllers import racks, regions
from ironworks.region.services.controllers.rack_interfaces import update_rack_interfaces
from ironworks.region.services.networking import subnets

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Db:
    def __init__(self, cluster: Cluster, dbname: str, engine: AsyncEngine) -> None:
        self.cluster, self.dbname, self.engine = cluster, dbname, engine

    def sql(self, statement: str, params: Any = None) -> list[tuple]:
        return self.cluster.sql(self.dbname, statement, params)

    async def run(self, work: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
        async with self.engine.begin() as conn:
            return await work(conn)

    async def register(self, hostname: str, interfaces: list[InterfaceReport], *,
                       system_id: str | None = None, version: str = __version__) -> racks.RegisteredRack:
        return await self.run(lambda conn: racks.register_rack(
            conn, system_id=system_id, hostname=hostname, interfaces=interfaces, version=version))

    def counts(self) -> tuple:
        return self.sql("SELECT (SELECT count(*) FROM fabric), (SELECT count(*) FROM vlan), "
                        "(SELECT count(*) FROM subnet), (SELECT count(*) FROM interface), "
                        "(SELECT count(*) FROM ip_address), (SELECT count(*) FROM interface_relationship), "
                        "(SELECT count(*) FROM node)")[0]

    def interfaces(self, node_id: int) -> dict[str, tuple]:
        """name -> (id, type, mac, enabled, fabric name, vid, parents, addresses)."""
        rows = self.sql(
            "SELECT i.name, i.id, i.type, i.mac_address::text, i.enabled, f.name, v.vid, "
            "  ARRAY(SELECT p.name FROM interface_relationship r JOIN interface p ON p.id = r.parent_id "
            "        WHERE r.child_id = i.id ORDER BY p.name), "
            "  ARRAY(SELECT host(a.ip) || ' ' || s.name FROM ip_address a JOIN subnet s ON s.id = a.subnet_id "
            "        WHERE a.interface_id = i.id AND a.alloc_type = 'sticky' ORDER BY a.ip) "
            "FROM interface i LEFT JOIN vlan v ON v.id = i.vlan_id LEFT JOIN fabric f ON f.id = v.fabric_id "
            "WHERE i.node_id = %s ORDER BY i.name", (node_id,))
        return {r[0]: r[1:] for r in rows}


@pytest.fixture
async def db(cluster: Cluster) -> AsyncIterator[Db]:
    dbname = cluster.new_database()
    target = Target("127.0.0.1", cluster.pg.port, dbname, "maas", DB_PASSWORD)
    migrate(target)
    engine = async_engine(target, pool_size=4)
    try:
        yield Db(cluster, dbname, engine)
    finally:
        await engine.dispose()


def nic(name: str, mac: str | None, *addresses: str, **kw: Any) -> InterfaceReport:
    return InterfaceReport(name=name, type=kw.pop("type", "physical"), mac_address=mac,
                           addresses=list(addresses), **kw)


LAB = [
    nic("eth0", "52:54:00:00:01:00", "10.50.0.2/24", "fd50::2/64"),
    nic("eth1", "52:54:00:00:01:01"),
    nic("eth0.42", "52:54:00:00:01:00", "10.42.0.2/24", type="vlan", parents=["eth0"], vid=42),
    nic("br0", "52:54:00:00:01:01", "192.168.60.1/24", type="bridge", parents=["eth1"]),
    nic("eth2", "52:54:00:00:01:02", enabled=False),
]


async def test_a_new_rack_on_new_networks_needs_no_operator(db: Db) -> None:
    rack = await db.register("rack-one", LAB, version="9.9.9")
    assert rack.created and len(rack.system_id) == 6
    node = db.sql("SELECT hostname, node_type, status, version, domain_id, zone_id FROM node WHERE id = %s",
                  (rack.node_id,))
    assert node == [("rack-one", NodeType.RACK_CONTROLLER, NodeStatus.DEPLOYED, "9.9.9", 0, 1)]
    found = db.interfaces(rack.node_id)
    eth0, eth1, vlan, br0, eth2 = (found[n] for n in ("eth0", "eth1", "eth0.42", "br0", "eth2"))
    assert eth0[1:4] == ("physical", "52:54:00:00:01:00", True)
    assert eth0[7] == ["10.50.0.2 10.50.0.0/24", "fd50::2 fd50::/64"]
    # The VLAN interface: VID 42 on its parent's (new) fabric; the bridge and its member share one.
    assert vlan[4] == eth0[4] and vlan[5] == 42 and vlan[6] == ["eth0"]
    assert vlan[7] == ["10.42.0.2 10.42.0.0/24"]
    assert br0[4] == eth1[4] != eth0[4] and br0[5] == eth1[5] == 0 and br0[6] == ["eth1"]
    assert eth2[1] == "physical" and eth2[3] is False and eth2[4] not in (eth0[4], eth1[4])
    assert {r[0] for r in db.sql("SELECT name FROM fabric")} == {"fabric-0", eth0[4], eth1[4], eth2[4]}
    assert db.sql("SELECT name, cidr::text, (SELECT vid FROM vlan WHERE id = vlan_id) FROM subnet ORDER BY cidr") == [
        ("10.42.0.0/24", "10.42.0.0/24", 42), ("10.50.0.0/24", "10.50.0.0/24", 0),
        ("192.168.60.0/24", "192.168.60.0/24", 0), ("fd50::/64", "fd50::/64", 0)]
    services = db.sql("SELECT name, status, status_info FROM service WHERE node_id = %s ORDER BY name", (rack.node_id,))
    assert ("rackd", "dead", racks.NOT_CONNECTED) in services
    assert sorted(s[0] for s in services) == sorted(["rackd", "tftp", "http", "dhcpd", "dhcpd6", "ntp_rack",
                                                     "proxy_rack", "syslog_rack", "agent"])
    assert {s[1] for s in services if s[0] != "rackd"} == {"off"}


async def test_registering_again_changes_nothing(db: Db) -> None:
    first = await db.register("rack-one", LAB)
    before, ifaces = db.counts(), db.interfaces(first.node_id)
    again = await db.register("rack-one", LAB, system_id=first.system_id)
    assert again == racks.RegisteredRack(first.node_id, first.system_id, False)
    assert db.counts() == before and db.interfaces(first.node_id) == ifaces
    sync = await db.run(lambda conn: update_rack_interfaces(conn, first.node_id, LAB))
    assert not sync.changed and sync.skipped == []


async def test_matching_by_system_id_then_hostname_then_mac(db: Db) -> None:
    rack = await db.register("rack-a", LAB[:2])
    # The system id wins over a new hostname (the node keeps its name).
    assert (await db.register("renamed", LAB[:2], system_id=rack.system_id)).node_id == rack.node_id
    # Hostname, ignoring case, without a system id (a reinstalled rack).
    assert (await db.register("RACK-A", LAB[:2])).node_id == rack.node_id
    # A MAC, with neither.
    assert (await db.register("other-name", [nic("enp1s0", "52:54:00:00:01:01")])).node_id == rack.node_id
    assert db.sql("SELECT count(*), min(hostname) FROM node WHERE node_type = 2") == [(1, "rack-a")]


async def test_a_machine_found_by_mac_becomes_a_rack(db: Db) -> None:
    node_id, system_id = add_node(db, "worker-7", NodeType.MACHINE, status=NodeStatus.READY)
    db.sql("INSERT INTO interface (node_id, name, mac_address) VALUES (%s, 'eno1', '52:54:00:77:00:01')", (node_id,))
    rack = await db.register("rack-on-worker", [nic("eno1", "52:54:00:77:00:01", "10.77.0.3/24")])
    assert rack == racks.RegisteredRack(node_id, system_id, False)
    assert db.sql("SELECT node_type, status, hostname FROM node WHERE id = %s", (node_id,)) == [
        (NodeType.RACK_CONTROLLER, NodeStatus.DEPLOYED, "worker-7")]


async def test_a_device_becomes_a_rack_and_leaves_its_parent(db: Db) -> None:
    parent_id, _ = add_node(db, "host-1", NodeType.MACHINE)
    device_id, _ = add_node(db, "gadget", NodeType.DEVICE)
    db.sql("UPDATE node SET parent_id = %s WHERE id = %s", (parent_id, device_id))
    rack = await db.register("Gadget", [])
    assert rack.node_id == device_id
    assert db.sql("SELECT node_type, parent_id FROM node WHERE id = %s", (device_id,)) == [(2, None)]


async def test_a_region_becomes_region_and_rack_and_keeps_its_services(db: Db) -> None:
    system_id = await db.run(lambda conn: regions.register_region(conn, "ctrl-1", None))
    rack = await db.register("ctrl-1", LAB[:1])
    assert (rack.system_id, rack.created) == (system_id, False)
    assert db.sql("SELECT node_type FROM node WHERE id = %s", (rack.node_id,)) == [(4,)]
    names = {r[0] for r in db.sql("SELECT name FROM service WHERE node_id = %s", (rack.node_id,))}
    assert {"regiond", "rackd", "tftp"} <= names
    await db.register("ctrl-1", LAB[:1], system_id=system_id)  # stays region+rack
    assert db.sql("SELECT node_type FROM node WHERE id = %s", (rack.node_id,)) == [(4,)]


async def test_an_existing_rack_stays_a_rack_and_keeps_its_service_states(db: Db) -> None:
    rack = await db.register("rack-s", [])
    db.sql("UPDATE service SET status = 'running', status_info = '' WHERE node_id = %s AND name = 'rackd'",
           (rack.node_id,))
    await db.register("rack-s", [], system_id=rack.system_id)
    assert db.sql("SELECT node_type FROM node WHERE id = %s", (rack.node_id,)) == [(2,)]
    assert db.sql("SELECT status FROM service WHERE node_id = %s AND name = 'rackd'", (rack.node_id,)) == [("running",)]


async def test_a_version_mismatch_raises_the_warning(db: Db) -> None:
    await db.run(lambda conn: regions.register_region(conn, "ctrl-1", None))
    await db.register("rack-old", [], version="0.0.1")
    ((message,),) = db.sql("SELECT message FROM notification WHERE ident = 'version_mismatch'")
    assert "rack-old 0.0.1" in message


async def test_the_same_rack_through_two_regions_at_once_makes_one_node(db: Db) -> None:
    for attempt in range(3):
        host = f"twin-{attempt}"
        report = [nic("eth0", f"52:54:00:00:0{attempt}:aa", f"10.9{attempt}.0.2/24"), nic("eth1", f"52:54:00:00:0{attempt}:bb")]
        results = await asyncio.gather(db.register(host, report), db.register(host, report))
        assert results[0].node_id == results[1].node_id
        assert sorted(r.created for r in results) == [False, True]
        assert db.sql("SELECT count(*) FROM node WHERE hostname = %s", (host,)) == [(1,)]
        # One new fabric per interface, not per registration.
        assert db.sql("SELECT count(*) FROM subnet WHERE cidr = %s", (f"10.9{attempt}.0.0/24",)) == [(1,)]
    assert db.sql("SELECT count(*) FROM fabric") == [(7,)]  # fabric-0 and two per rack


async def test_two_racks_on_one_new_network_share_its_subnet_and_vlan(db: Db) -> None:
    a, b = await asyncio.gather(db.register("rack-a", [nic("eth0", "52:54:00:0a:00:01", "10.61.0.2/24")]),
                                db.register("rack-b", [nic("eth0", "52:54:00:0b:00:01", "10.61.0.3/24")]))
    assert db.interfaces(a.node_id)["eth0"][4:6] == db.interfaces(b.node_id)["eth0"][4:6]
    assert db.sql("SELECT count(*) FROM subnet") == [(1,)]


async def test_a_known_subnet_places_the_interface_and_a_tagged_one_follows(db: Db) -> None:
    # 10.70.0.0/24 is already known on the default fabric's untagged VLAN.
    await db.run(lambda conn: subnets.create_subnet(conn, {"cidr": "10.70.0.0/24"}))
    rack = await db.register("rack-k", [nic("eth0", "52:54:00:70:00:01", "10.70.0.9/24"),
                                        nic("eth0.5", "52:54:00:70:00:01", type="vlan", parents=["eth0"], vid=5)])
    found = db.interfaces(rack.node_id)
    assert found["eth0"][4:6] == ("fabric-0", 0) and found["eth0"][7] == ["10.70.0.9 10.70.0.0/24"]
    assert found["eth0.5"][4:6] == ("fabric-0", 5)
    assert db.sql("SELECT count(*) FROM fabric") == [(1,)]


async def test_interfaces_follow_the_report(db: Db) -> None:
    rack = await db.register("rack-c", LAB)
    before = db.interfaces(rack.node_id)
    fabrics = db.sql("SELECT count(*) FROM fabric")
    changed = [
        nic("eth0", "52:54:00:00:01:00", "fd50::2/64", enabled=False),  # lost its IPv4 address
        nic("eth1", "52:54:00:00:01:09"),  # a new MAC (NIC swapped)
        # br0 gone; eth0.42 is now in a new bridge that took over its address
        nic("eth0.42", "52:54:00:00:01:00", type="vlan", parents=["eth0"], vid=42),
        nic("br42", "52:54:00:00:01:00", "10.42.0.2/24", type="bridge", parents=["eth0.42"]),
        nic("eth2", "52:54:00:00:01:02", enabled=False),
    ]
    sync = await db.run(lambda conn: update_rack_interfaces(conn, rack.node_id, changed))
    assert sync.created == ["br42"] and sync.deleted == ["br0"]
    after = db.interfaces(rack.node_id)
    assert sorted(after) == ["br42", "eth0", "eth0.42", "eth1", "eth2"]
    assert after["eth0"][0] == before["eth0"][0] and after["eth0"][3] is False
    assert after["eth0"][7] == ["fd50::2 fd50::/64"]
    assert after["eth1"][0] == before["eth1"][0] and after["eth1"][2] == "52:54:00:00:01:09"
    assert after["eth1"][4] == before["eth1"][4]  # keeps its fabric without any address
    assert after["br42"][4:7] == (before["eth0.42"][4], 42, ["eth0.42"])
    assert after["br42"][7] == ["10.42.0.2 10.42.0.0/24"] and after["eth0.42"][7] == []
    assert db.sql("SELECT count(*) FROM fabric") == fabrics
    # The subnet the removed bridge used stays (other nodes may use it); nothing links to it.
    assert db.sql("SELECT count(*) FROM ip_address a JOIN subnet s ON s.id = a.subnet_id "
                  "WHERE s.cidr = '192.168.60.0/24'") == [(0,)]


async def test_two_interfaces_swapping_macs(db: Db) -> None:
    rack = await db.register("rack-m", LAB[:2])
    swapped = [nic("eth0", "52:54:00:00:01:01"), nic("eth1", "52:54:00:00:01:00")]
    await db.run(lambda conn: update_rack_interfaces(conn, rack.node_id, swapped))
    assert [v[2] for v in db.interfaces(rack.node_id).values()] == ["52:54:00:00:01:01", "52:54:00:00:01:00"]


async def test_a_mac_that_belongs_to_another_node_is_a_conflict(db: Db) -> None:
    node_id, _ = add_node(db, "machine-1", NodeType.MACHINE)
    db.sql("INSERT INTO interface (node_id, name, mac_address) VALUES (%s, 'eth0', '52:54:00:99:00:01')", (node_id,))
    rack = await db.register("rack-x", [nic("eth0", "52:54:00:99:00:02")])
    with pytest.raises(Conflict, match="machine-1:eth0"):
        await db.run(lambda conn: update_rack_interfaces(conn, rack.node_id, [nic("eth0", "52:54:00:99:00:01")]))


async def test_an_address_held_elsewhere_is_skipped_not_stolen(db: Db) -> None:
    await db.run(lambda conn: subnets.create_subnet(conn, {"cidr": "10.80.0.0/24"}))
    db.sql("INSERT INTO ip_address (ip, alloc_type, subnet_id) "
           "SELECT '10.80.0.5', 'user_reserved', id FROM subnet WHERE cidr = '10.80.0.0/24'")
    rack = await db.register("rack-h", [nic("eth0", "52:54:00:80:00:01", "10.80.0.5/24")])
    assert db.interfaces(rack.node_id)["eth0"][7] == []
    sync = await db.run(lambda conn: update_rack_interfaces(conn, rack.node_id, [nic("eth0", "52:54:00:80:00:01", "10.80.0.5/24")]))
    assert sync.skipped == ["10.80.0.5: already held (user reserved)"]


async def test_bad_reports_are_refused(db: Db) -> None:
    with pytest.raises(InvalidInput, match="reported twice"):
        await db.register("rack-b", [nic("eth0", None), nic("eth0", None)])
    with pytest.raises(InvalidInput, match="not reported"):
        await db.register("rack-b", [nic("br0", None, type="bridge", parents=["eth7"])])
    with pytest.raises(InvalidInput, match="share MAC"):
        await db.register("rack-b", [nic("eth0", "52:54:00:00:00:01"), nic("eth1", "52:54:00:00:00:01")])
    with pytest.raises(InvalidInput, match="hostname"):
        await db.register(" ", [])


async def test_services_reported(db: Db) -> None:
    rack = await db.register("rack-svc", [])
    await db.run(lambda conn: racks.report_services(conn, rack.node_id, {
        "tftp": ("running", ""), "dhcpd": ("dead", "kea exited 1"), "rackd": ("running", "ignored"),
        "frobnicator": ("running", "")}))
    states = dict((n, (s, i)) for n, s, i in db.sql(
        "SELECT name, status, status_info FROM service WHERE node_id = %s", (rack.node_id,)))
    assert states["tftp"] == ("running", "") and states["dhcpd"] == ("dead", "kea exited 1")
    assert states["rackd"] == ("dead", racks.NOT_CONNECTED) and "frobnicator" not in states
    with pytest.raises(InvalidInput, match="sleeping"):
        await db.run(lambda conn: racks.report_services(conn, rack.node_id, {"http": ("sleeping", "")}))


async def test_a_bond_losing_a_member(db: Db) -> None:
    bond = [nic("ens4", "52:54:00:44:00:04"), nic("ens5", "52:54:00:44:00:05"),
            nic("bond0", "52:54:00:44:00:04", "172.30.0.9/22", type="bond", parents=["ens4", "ens5"])]
    rack = await db.register("rack-bond", bond)
    found = db.interfaces(rack.node_id)
    assert found["bond0"][6] == ["ens4", "ens5"] and found["ens4"][4] == found["ens5"][4] == found["bond0"][4]
    smaller = [bond[0], bond[1], nic("bond0", "52:54:00:44:00:04", "172.30.0.9/22", type="bond", parents=["ens4"])]
    sync = await db.run(lambda conn: update_rack_interfaces(conn, rack.node_id, smaller))
    assert sync.updated == ["bond0"] and not sync.created and not sync.deleted
    assert db.interfaces(rack.node_id)["bond0"][6] == ["ens4"]
    assert db.interfaces(rack.node_id)["ens5"][4] == found["ens5"][4]  # keeps its place
