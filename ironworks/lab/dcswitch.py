"""The data centre's switch, in one of two ways, chosen by what the kernel can do.

`TaggingSwitch` (802.1Q): one bridge with `vlan_filtering 1`; a port is an untagged member of
its access VLAN (pvid) or a trunk carrying tagged VLANs, and a trunk host gets real VLAN
sub-interfaces `ethN.<vid>`.  Needs CONFIG_BRIDGE_VLAN_FILTERING and CONFIG_VLAN_8021Q.

`BridgePerVlanSwitch` (emulated, for kernels without them, e.g. the CI's): one bridge per VLAN;
every (cable, VLAN) pair is its own veth, so a trunk host's `ethN.<vid>` is a veth plugged into
that VLAN's bridge.  At layer 3 the two are the same lab: the same interface names, addresses
and reachability.  The veth has a MAC of its own: a rack reports it as a physical NIC (which it
is), and two physical NICs on one MAC would be refused as a conflict.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field

from ironworks.lab.netns import LabError, _ip

BRIDGE = "br0"


def bridge(ns: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(["bridge", "-netns", ns, *args], capture_output=True, text=True,
                            timeout=30)
    if result.returncode != 0:
        raise LabError(f"bridge {' '.join(args)} in {ns}: {result.stderr.strip()}")
    return result


@dataclass
class Switch:
    ns: str
    ports: dict[str, list[str]] = field(default_factory=dict)  # cable -> its switch-side ports
    mode: str = ""

    def create(self) -> None:
        raise NotImplementedError

    def add_vlan(self, vid: int) -> None:
        """Nothing for a tagging switch: VLANs exist as ports join them."""

    def plug(self, cable: str, host_ns: str, ifname: str, tagged: list[int],
             untagged: int | None, mac: str | None) -> dict[int, str]:
        """Connect host interface `ifname` to a new switch port named `cable`, carrying
        `untagged` and the `tagged` VLANs; returns VLAN id -> the host device that is on it."""
        raise NotImplementedError

    def plug_root(self, cable: str, root_ifname: str, vid: int) -> None:
        """An access port on VLAN `vid` whose other end is `root_ifname` in the root namespace."""
        _ip("link", "add", root_ifname, "type", "veth", "peer", "name", cable, "netns", self.ns)
        self._attach(cable, vid, untagged=True)
        self.ports[cable] = [cable]

    def _attach(self, port: str, vid: int, untagged: bool) -> None:
        raise NotImplementedError

    def _veth(self, host_ns: str, ifname: str, port: str, mac: str | None) -> None:
        address = ["address", mac] if mac else []
        _ip("link", "add", ifname, *address, "netns", host_ns, "type", "veth", "peer", "name",
            port, "netns", self.ns)
        _ip("-n", self.ns, "link", "set", port, "up")
        _ip("-n", host_ns, "link", "set", ifname, "up")

    def set_cable(self, cable: str, up: bool) -> None:
        for port in self.ports[cable]:
            _ip("-n", self.ns, "link", "set", port, "up" if up else "down")


class TaggingSwitch(Switch):
    def create(self) -> None:
        self.mode = "8021q"
        _ip("-n", self.ns, "link", "add", BRIDGE, "type", "bridge", "vlan_filtering", "1",
            "vlan_default_pvid", "0", "stp_state", "0", "forward_delay", "0")
        _ip("-n", self.ns, "link", "set", BRIDGE, "up")

    def _attach(self, port: str, vid: int, untagged: bool) -> None:
        _ip("-n", self.ns, "link", "set", port, "master", BRIDGE)
        bridge(self.ns, "vlan", "add", "dev", port, "vid", str(vid),
               *(["pvid", "untagged"] if untagged else []))
        _ip("-n", self.ns, "link", "set", port, "up")

    def plug(self, cable: str, host_ns: str, ifname: str, tagged: list[int],
             untagged: int | None, mac: str | None) -> dict[int, str]:
        self._veth(host_ns, ifname, cable, mac)
        self.ports[cable] = [cable]
        devices = {}
        if untagged is not None:
            self._attach(cable, untagged, untagged=True)
            devices[untagged] = ifname
        for vid in tagged:
            self._attach(cable, vid, untagged=False)
            dev = f"{ifname}.{vid}"
            _ip("-n", host_ns, "link", "add", "link", ifname, "name", dev, "type", "vlan",
                "id", str(vid))
            _ip("-n", host_ns, "link", "set", dev, "up")
            devices[vid] = dev
        return devices


class BridgePerVlanSwitch(Switch):
    def create(self) -> None:
        self.mode = "bridges"

    def add_vlan(self, vid: int) -> None:
        name = f"v{vid}"
        _ip("-n", self.ns, "link", "add", name, "type", "bridge", "stp_state", "0",
            "forward_delay", "0")
        _ip("-n", self.ns, "link", "set", name, "up")

    def _attach(self, port: str, vid: int, untagged: bool) -> None:
        _ip("-n", self.ns, "link", "set", port, "master", f"v{vid}")
        _ip("-n", self.ns, "link", "set", port, "up")

    def plug(self, cable: str, host_ns: str, ifname: str, tagged: list[int],
             untagged: int | None, mac: str | None) -> dict[int, str]:
        # The cable itself: on its untagged VLAN's bridge, or on none (a pure trunk's native
        # VLAN carries nothing).
        self._veth(host_ns, ifname, cable, mac)
        self.ports[cable] = [cable]
        devices = {}
        if untagged is not None:
            self._attach(cable, untagged, untagged=True)
            devices[untagged] = ifname
        for vid in tagged:
            dev, port = f"{ifname}.{vid}", f"{cable}.{vid}"
            self._veth(host_ns, dev, port, None)
            self._attach(port, vid, untagged=False)
            self.ports[cable].append(port)
            devices[vid] = dev
        return devices


def make_switch(ns: str, mode: str | None = None) -> Switch:
    """The switch in namespace `ns`: 802.1Q if the kernel has it (or `mode` says), else emulated."""
    if mode in (None, "8021q"):
        switch: Switch = TaggingSwitch(ns)
        try:
            switch.create()
            # A VLAN device on the bridge proves CONFIG_VLAN_8021Q; removed at once.
            _ip("-n", ns, "link", "add", "link", BRIDGE, "name", "probe.1", "type", "vlan", "id", "1")
            _ip("-n", ns, "link", "del", "probe.1")
            return switch
        except LabError:
            if mode == "8021q":
                raise
            _ip("-n", ns, "link", "del", BRIDGE, check=False)
    if mode not in (None, "bridges"):
        raise LabError(f"unknown VLAN mode {mode!r}: '8021q' or 'bridges'")
    switch = BridgePerVlanSwitch(ns)
    switch.create()
    return switch
