"""Static-address rules as pure functions: which address a request may hold in a subnet, and
the first free one the allocator hands out (never in a dynamic or reserved range, never the
gateway, never one in use)."""

from __future__ import annotations

from typing import Collection, Iterable

from ironworks.common.errors import Conflict, InvalidInput, Unavailable
from ironworks.region.services.networking import ipam
from ironworks.region.services.networking.ipam import IP, Network, Range


def check_requested(addr: IP, net: Network, ranges: Iterable[Range], taken: Collection[IP],
                    key: str = "ip_address") -> None:
    """A user-chosen static address: a host address of the subnet, outside its dynamic ranges
    (DHCP hands those out) and not held already.  Reserved ranges are for exactly such choices."""
    problem = ipam.address_problem(addr, net)
    if problem:
        raise InvalidInput.field(key, f"IP address {problem}")
    for r in ranges:
        if r.type == "dynamic" and r.start.version == addr.version and r.start <= addr <= r.end:
            raise InvalidInput.field(key, f"IP address {addr} is inside the {r.describe()}; "
                                          "choose an address outside dynamic ranges.")
    if addr in taken:
        raise Conflict(f"IP address {addr} is already in use.")


def first_free(net: Network, ranges: Iterable[Range], taken: Collection[IP], gateway: IP | None) -> IP | None:
    """The lowest host address of `net` outside every range, not `gateway`, not `taken`.
    Steps over a whole range at once, so the walk is bounded by the rows, not the subnet size."""
    spans = sorted(((r.start, r.end) for r in ranges if r.start.version == net.version))
    first = net.network_address + (1 if ipam.has_edges(net) else 0)
    last = net.broadcast_address - (1 if ipam.has_edges(net) else 0)
    candidate = first
    index = 0
    while candidate <= last:
        while index < len(spans) and spans[index][1] < candidate:
            index += 1
        if index < len(spans) and spans[index][0] <= candidate:
            if spans[index][1] >= last:
                return None
            candidate = spans[index][1] + 1
            continue
        if candidate in taken or candidate == gateway:
            if candidate == last:
                return None
            candidate += 1
            continue
        return candidate
    return None


def allocate(net: Network, ranges: Iterable[Range], taken: Collection[IP], gateway: IP | None) -> IP:
    found = first_free(net, ranges, taken, gateway)
    if found is None:
        raise Unavailable(f"No more IPs available in subnet: {net}.")
    return found
