"""A one-machine data centre made of network namespaces, for tests, benchmarks and `make demo`.

One *switch* namespace holds a VLAN-aware bridge (`vlan_filtering 1`, no STP, no forward delay;
on a kernel without 802.1Q, one bridge per VLAN instead: dcswitch.py).
*Hosts* are namespaces plugged into it by veths (`eth0`, `eth1`, ...): an access port carries one
VLAN untagged, a trunk port several tagged VLANs (the host gets `eth0.<vid>`) and optionally one
untagged.  An *uplink* veth from the root namespace is an access port on the management VLAN,
so the test process reaches the hosts' services directly.  Each lab takes its own /24 of
198.18.0.0/15 (dcnames.py: allocation, naming, the sweep of labs whose creator died); the
management VLAN is its first /26, other VLANs get the next free aligned blocks.

Regions and racks running in hosts: add_region/add_rack (the daemons are in dchosts.py).
"""

from __future__ import annotations

import ipaddress
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

from ironworks.lab import dcnames, dcprobe
from ironworks.lab.dchosts import LabRack, NsRegion
from ironworks.lab.dcswitch import Switch, make_switch
from ironworks.lab.harness import Cluster, world_traversable_tempdir
from ironworks.lab.netns import LabError, NetLab, _ip, require_programs

MGMT_VID = 99
AUTO = "auto"  # a NIC address chosen by the lab from its VLAN's subnet


@dataclass(frozen=True)
class Nic:
    """One cable from a host to the switch.  `vlans` maps VLAN id -> address (CIDR, AUTO, or
    None for no address); `untagged` is the port's untagged VLAN (None on a pure trunk)."""

    vlans: dict[int, str | None]
    untagged: int | None
    mac: str | None = None


def access(vid: int, address: str | None = AUTO, mac: str | None = None) -> Nic:
    return Nic({vid: address}, vid, mac)


def trunk(*vids: int, untagged: int | None = None, addresses: dict[int, str | None] | None = None,
          mac: str | None = None) -> Nic:
    """Tagged `vids` (each an `ethN.<vid>` in the host), plus the untagged VLAN if given."""
    vlans = {v: (addresses or {}).get(v, AUTO) for v in (*vids, *([untagged] if untagged else []))}
    return Nic(vlans, untagged, mac)


@dataclass
class Vlan:
    vid: int
    network: ipaddress.IPv4Network
    used: set[ipaddress.IPv4Address] = field(default_factory=set)

    def take(self, wanted: str | None) -> str | None:
        """An address (CIDR) on this VLAN: `wanted` as given, or the next free one for AUTO."""
        if wanted is None:
            return None
        if wanted != AUTO:
            iface = ipaddress.IPv4Interface(wanted)
            self.used.add(iface.ip)
            return str(iface)
        for ip in self.network.hosts():
            if ip not in self.used:
                self.used.add(ip)
                return f"{ip}/{self.network.prefixlen}"
        raise LabError(f"VLAN {self.vid}: no free address left in {self.network}")


@dataclass
class Host:
    """A namespace plugged into the switch.  `addresses` maps (ifname, vid) -> CIDR."""

    dc: "DataCentre"
    role: str
    ns: str
    ports: dict[str, str] = field(default_factory=dict)  # host ifname -> its switch port
    addresses: dict[tuple[str, int], str] = field(default_factory=dict)

    def address(self, vid: int | None = None) -> str:
        """This host's (first) address on VLAN `vid` (the management VLAN by default), no prefix."""
        vid = self.dc.mgmt_vid if vid is None else vid
        for (_, v), cidr in self.addresses.items():
            if v == vid:
                return cidr.split("/")[0]
        raise LabError(f"{self.role} has no address on VLAN {vid}")

    def run(self, *args: str, timeout: float = 60, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return self.dc.net.run(self.ns, *args, timeout=timeout, check=check, env=env)

    def ping(self, address: str, timeout: float = 2) -> bool:
        """One ICMP echo answered within `timeout` seconds."""
        return self.run(sys.executable, dcprobe.__file__, "ping", address, str(timeout),
                        check=False, timeout=timeout + 10).returncode == 0


class DataCentre:
    """Build with add_vlan/add_host; `close()` (or leaving the `with` block) removes it all."""

    def __init__(self, *, mgmt_vid: int = MGMT_VID, vlan_mode: str | None = None,
                 owner_pid: int | None = None) -> None:
        require_programs("ip", "bridge")
        self.mgmt_vid = mgmt_vid
        self.name = dcnames.new_name(owner_pid)
        self.record = dcnames.allocate(self.name, owner_pid)  # sweeps dead labs first
        self.network = ipaddress.IPv4Network(self.record.network)
        self.net = NetLab(prefix=self.name)
        self.vlans: dict[int, Vlan] = {}
        self.hosts: dict[str, Host] = {}
        self.closers: list[Callable[[], Any]] = []  # regions and racks: stopped first by close()
        self.uplink = ""
        self.uplink_address = ""
        self._blocks: list[ipaddress.IPv4Network] = []
        self._cables = 0
        self.switch: Switch
        self.vlan_mode = ""
        try:
            self.switch = make_switch(self.net.add_namespace("sw"), vlan_mode)
            self.vlan_mode = self.switch.mode
            mgmt = self.add_vlan(mgmt_vid, prefixlen=26)
            self._build_uplink(mgmt)
        except BaseException:
            self.close()
            raise

    # -- building ----------------------------------------------------------------------------
    def _build_uplink(self, mgmt: Vlan) -> None:
        self.uplink = f"iwu{secrets.token_hex(3)}"  # <= 15 chars; the lab's name is its alias
        self.record.uplink = self.uplink
        self.record.save()
        self.switch.plug_root("up0", self.uplink, mgmt.vid)
        _ip("link", "set", self.uplink, "alias", self.name)
        self.uplink_address = mgmt.take(AUTO) or ""
        _ip("addr", "add", self.uplink_address, "dev", self.uplink)
        _ip("link", "set", self.uplink, "up")

    def add_vlan(self, vid: int, subnet: str | None = None, prefixlen: int = 27) -> Vlan:
        """A VLAN on the switch, with the subnet its AUTO addresses come from: by default the next
        free aligned block of the lab's /24 (a /27: 30 hosts)."""
        if not 1 <= vid <= 4094:
            raise LabError(f"VLAN id {vid} is not 1-4094")
        if vid in self.vlans:
            raise LabError(f"VLAN {vid} exists already")
        network = ipaddress.IPv4Network(subnet) if subnet else self._next_block(prefixlen)
        self.switch.add_vlan(vid)
        self.vlans[vid] = Vlan(vid, network)
        return self.vlans[vid]

    def _next_block(self, prefixlen: int) -> ipaddress.IPv4Network:
        for block in self.network.subnets(new_prefix=prefixlen):
            if not any(block.overlaps(b) for b in self._blocks):
                self._blocks.append(block)
                return block
        raise LabError(f"no free /{prefixlen} left in the lab's {self.network}")

    def add_host(self, role: str, *nics: Nic) -> Host:
        """A namespace with one veth per NIC (eth0, eth1, ...), by default one access port on the
        management VLAN.  Trunked VLANs become `ethN.<vid>` sub-interfaces with their addresses."""
        if role in self.hosts:
            raise LabError(f"host {role} exists already")
        nics = nics or (access(self.mgmt_vid),)
        host = Host(self, role, self.net.add_namespace(role))
        self.hosts[role] = host
        for i, nic in enumerate(nics):
            for vid in nic.vlans:
                if vid not in self.vlans:
                    raise LabError(f"VLAN {vid} does not exist: add_vlan({vid}) first")
            ifname, cable = f"eth{i}", f"p{self._cables}"
            self._cables += 1
            host.ports[ifname] = cable
            tagged = [v for v in nic.vlans if v != nic.untagged]
            devices = self.switch.plug(cable, host.ns, ifname, tagged, nic.untagged, nic.mac)
            for vid, wanted in nic.vlans.items():
                cidr = self.vlans[vid].take(wanted)
                if cidr:
                    _ip("-n", host.ns, "addr", "add", cidr, "dev", devices[vid])
                    host.addresses[(devices[vid], vid)] = cidr
        return host

    def add_region(self, cluster: Cluster, role: str, *nics: Nic, dbname: str | None = None,
                   workers: int = 1, port: int = 5240) -> NsRegion:
        """A host running a region (configured, not started: `start()` it, or `start_regions`)
        on `dbname` (a fresh database by default), listening on its management address."""
        host = self.add_host(role, *nics)
        region = NsRegion(cluster, dbname or cluster.new_database(), port,
                          world_traversable_tempdir(f"iw-{role}-"), address=host.address(),
                          hostname=role, workers=workers, netns=host.ns)
        self.closers.append(region.close)
        region.configure()
        return region

    def add_rack(self, role: str, *nics: Nic) -> LabRack:
        """A host for a rack controller (nothing started): `register()` then `start()` it."""
        host = self.add_host(role, *nics)
        rack = LabRack(host.ns, role, world_traversable_tempdir(f"iw-{role}-"))
        self.closers.append(rack.close)
        return rack

    def set_port(self, host: Host, ifname: str, up: bool) -> None:
        """Pull (or plug back) one of a host's cables at the switch."""
        self.switch.set_cable(host.ports[ifname], up)

    # -- looking -----------------------------------------------------------------------------
    def namespaces(self) -> list[str]:
        return [ns for ns in dcnames.list_namespaces() if ns.startswith(self.name + "-")]

    # -- tearing down ------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the daemons (by PID), delete every namespace, the uplink and the allocation.
        Tries every step whatever failed before; raises at the end if something is left."""
        problems: list[str] = []
        for closer in reversed(self.closers):
            try:
                closer()
            except Exception as exc:  # noqa: BLE001 - the namespaces must go regardless
                problems.append(repr(exc))
        self.closers.clear()
        for step in (self.net.close, lambda: dcnames.remove_lab(self.name, self.uplink)):
            try:
                step()
            except Exception as exc:  # noqa: BLE001
                problems.append(repr(exc))
        if not problems:
            dcnames.release(self.record)  # last: while it exists, a sweep can still find the lab
        else:
            raise LabError(f"data centre {self.name} teardown incomplete: " + "; ".join(problems))

    def __enter__(self) -> "DataCentre":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

