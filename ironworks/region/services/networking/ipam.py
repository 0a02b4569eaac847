"""IP address management rules, as pure functions over plain data: IP ranges inside a subnet,
gateways, and what a subnet's CIDR may change to."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable

from ironworks.common.errors import InvalidInput

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
RANGE_TYPES = ("dynamic", "reserved")
MAX_LISTED = 5  # addresses named in one message


@dataclass(frozen=True)
class Range:
    id: int | None
    type: str
    start: IP
    end: IP
    comment: str = ""

    def describe(self) -> str:
        note = f", '{self.comment}'" if self.comment else ""
        return f"{self.type} range {self.start}-{self.end} (id {self.id}{note})"


def network(cidr: str | Network) -> Network:
    return cidr if isinstance(cidr, (ipaddress.IPv4Network, ipaddress.IPv6Network)) \
        else ipaddress.ip_network(str(cidr), strict=False)


def ip(value: str | IP) -> IP:
    return value if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)) \
        else ipaddress.ip_address(str(value).split("/")[0])


def has_edges(net: Network) -> bool:
    """IPv4 networks bigger than /31 reserve their first (network) and last (broadcast) address."""
    return net.version == 4 and net.prefixlen < 31


def address_problem(addr: IP, net: Network) -> str | None:
    """Why `addr` cannot be used as a host address in `net` (None when it can)."""
    if addr.version != net.version:
        return f"{addr} is an IPv{addr.version} address but subnet {net} is IPv{net.version}."
    if addr not in net:
        return f"{addr} is not in subnet {net}."
    if has_edges(net) and addr == net.network_address:
        return f"{addr} is the network address of subnet {net}."
    if has_edges(net) and addr == net.broadcast_address:
        return f"{addr} is the broadcast address of subnet {net}."
    return None


def check_gateway(gateway: IP | None, net: Network) -> None:
    if gateway is None:
        return
    problem = address_problem(gateway, net)
    if problem:
        raise InvalidInput.field("gateway_ip", f"The gateway must be a host address in the subnet: {problem}")


def overlaps(a_start: IP, a_end: IP, b_start: IP, b_end: IP) -> bool:
    return a_start.version == b_start.version and a_start <= b_end and b_start <= a_end


def check_range(kind: str, start: IP, end: IP, net: Network, others: Iterable[Range],
                allocated: Iterable[IP] = (), gateway: IP | None = None) -> None:
    """A `kind` range start-end in subnet `net`, next to the subnet's `others` ranges (the range
    being edited left out), its allocated (non-discovered) addresses and its gateway."""
    errors: dict[str, list[str]] = {}
    for key, addr in (("start_ip", start), ("end_ip", end)):
        problem = address_problem(addr, net)
        if problem:
            errors[key] = [problem]
    if errors:
        raise InvalidInput(errors)
    if end < start:
        raise InvalidInput.field("end_ip", f"The end address {end} is lower than the start address {start}.")

    wanted = f"Requested {kind} range {start}-{end}"
    clashes = [o for o in others if overlaps(start, end, o.start, o.end)]
    if clashes:
        raise InvalidInput.whole(
            f"{wanted} overlaps with the existing " + "; ".join(o.describe() for o in clashes) + ".")
    if kind == "dynamic":
        taken = sorted(a for a in allocated if a.version == start.version and start <= a <= end)
        if taken:
            listed = ", ".join(str(a) for a in taken[:MAX_LISTED])
            more = f" and {len(taken) - MAX_LISTED} more" if len(taken) > MAX_LISTED else ""
            raise InvalidInput.whole(f"{wanted} includes allocated address(es) {listed}{more}.")
        if gateway is not None and gateway.version == start.version and start <= gateway <= end:
            raise InvalidInput.whole(f"{wanted} includes the subnet's gateway {gateway}.")


def cidr_change_problems(new: Network, ranges: Iterable[Range], addresses: Iterable[IP]) -> list[str]:
    """What keeps a subnet from moving to `new`: ranges and addresses that would fall outside."""
    problems = [f"{r.describe()} would fall outside {new}" for r in ranges
                if address_problem(r.start, new) or address_problem(r.end, new)]
    outside = sorted((a for a in addresses if address_problem(a, new)), key=lambda a: (a.version, a))
    if outside:
        problems.append("allocated address(es) " + ", ".join(str(a) for a in outside[:MAX_LISTED])
                        + " would fall outside " + str(new))
    return problems
