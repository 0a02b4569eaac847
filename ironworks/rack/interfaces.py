"""This host's network interfaces, as the rack reports them to the region (`InterfaceReport`).

`parse_interfaces` is a pure function over the JSON of `ip -j -d link show` and
`ip -j addr show`; `discover_interfaces` runs those two commands (with a timeout) and calls it.
`python -m ironworks.rack.interfaces` prints the report as JSON (tests run it inside a network
namespace).

What counts:
- physical: an Ethernet link with no kind (a real NIC) or a veth (the lab's NICs);
- vlan: an 802.1Q/802.1ad sub-interface, with its parent and VID;
- bond and bridge: with their members (the links whose `master` they are) as parents;
- everything else (loopback, tunnels, vxlan, dummy, tun/tap, macvlan, wireguard...) is skipped,
  as is a VLAN or member whose parent was skipped.
`enabled` is the administrative state (the UP flag); addresses are global ones with their
prefix length (link-local, host-scope and tentative-less junk are left out).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import sys
from typing import Any, Iterable

from ironworks.common.protocol.interfaces import InterfaceReport

IP_TIMEOUT_S = 5.0
_PHYSICAL_KINDS = frozenset({None, "veth"})
_KINDS = {"vlan": "vlan", "bond": "bond", "bridge": "bridge"}


class DiscoveryError(RuntimeError):
    """`ip` could not be run, failed, timed out or printed something unexpected."""


def _kind(link: dict[str, Any]) -> str | None:
    """The report type of a link, or None to skip it."""
    if link.get("link_type") != "ether" or "LOOPBACK" in link.get("flags", ()):
        return None
    info_kind = (link.get("linkinfo") or {}).get("info_kind")
    if info_kind in _PHYSICAL_KINDS:
        return "physical"
    return _KINDS.get(info_kind)


def _global_addresses(entry: dict[str, Any]) -> list[str]:
    found = []
    for info in entry.get("addr_info", ()):
        if info.get("family") not in ("inet", "inet6") or info.get("scope", "global") != "global":
            continue
        try:
            iface = ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}")
        except (KeyError, ValueError):
            continue
        if iface.ip.is_link_local or iface.ip.is_loopback or iface.ip.is_multicast:
            continue
        found.append(str(iface))
    return found


def parse_interfaces(links: Iterable[dict[str, Any]], addrs: Iterable[dict[str, Any]]) -> list[InterfaceReport]:
    """The reports for `ip -j -d link show` and `ip -j addr show` output, in link order."""
    links = list(links)
    addresses = {entry.get("ifname"): _global_addresses(entry) for entry in addrs}
    kinds = {link.get("ifname"): _kind(link) for link in links}
    members: dict[str, list[str]] = {}
    for link in links:
        master = link.get("master")
        if master and kinds.get(link.get("ifname")) is not None:
            members.setdefault(master, []).append(link["ifname"])

    reports: dict[str, InterfaceReport] = {}
    for link in links:
        name, kind = link.get("ifname"), kinds.get(link.get("ifname"))
        if not name or kind is None:
            continue
        parents: list[str] = []
        vid = None
        if kind == "vlan":
            info = (link.get("linkinfo") or {}).get("info_data") or {}
            vid = info.get("id")
            parent = link.get("link")  # absent when the parent lives in another namespace
            if not isinstance(vid, int) or not parent or kinds.get(parent) is None:
                continue
            parents = [parent]
        elif kind in ("bond", "bridge"):
            parents = sorted(members.get(name, []))
        # A bond member shows the bond's MAC in `address`; its own is `permaddr` (older iproute2:
        # only the bond's slave data has it).
        own = None
        if kind == "physical":
            slave = (link.get("linkinfo") or {}).get("info_slave_data") or {}
            own = link.get("permaddr") or slave.get("perm_hwaddr")
        mac = own or link.get("address") or None
        reports[name] = InterfaceReport(
            name=name, type=kind, mac_address=mac, parents=parents, vid=vid,
            enabled="UP" in link.get("flags", ()), addresses=addresses.get(name, []))
    # A VLAN on a VLAN that was dropped: drop it too (until nothing changes).
    changed = True
    while changed:
        changed = False
        for name, report in list(reports.items()):
            if report.type == "vlan" and report.parents[0] not in reports:
                del reports[name]
                changed = True
    for report in reports.values():  # members that were skipped are not parents
        report.parents = [p for p in report.parents if p in reports]
    return list(reports.values())


async def _ip_json(*args: str, timeout: float) -> list[dict[str, Any]]:
    try:
        proc = await asyncio.create_subprocess_exec(
            "ip", "-j", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        raise DiscoveryError(f"cannot run ip: {exc}") from None
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise DiscoveryError(f"ip {' '.join(args)} did not answer within {timeout:g} s") from None
    if proc.returncode != 0:
        raise DiscoveryError(f"ip {' '.join(args)} failed: {err.decode(errors='replace').strip()}")
    try:
        data = json.loads(out or b"[]")
    except ValueError:
        raise DiscoveryError(f"ip {' '.join(args)} printed something that is not JSON") from None
    if not isinstance(data, list):
        raise DiscoveryError(f"ip {' '.join(args)} printed {type(data).__name__}, not a list")
    return data


async def discover_interfaces(timeout: float = IP_TIMEOUT_S) -> list[InterfaceReport]:
    """This host's (this network namespace's) interfaces; DiscoveryError when `ip` fails."""
    links = await _ip_json("-d", "link", "show", timeout=timeout)
    addrs = await _ip_json("addr", "show", timeout=timeout)
    return parse_interfaces(links, addrs)


def main() -> int:
    try:
        reports = asyncio.run(discover_interfaces())
    except DiscoveryError as exc:
        print(f"interface discovery failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps([r.model_dump() for r in reports], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
