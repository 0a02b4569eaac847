"""IP range and gateway rules, without a database or a region."""

from __future__ import annotations

import pytest

from ironworks.common.errors import InvalidInput
from ironworks.region.services.networking.ipam import (
    Range,
    address_problem,
    check_gateway,
    check_range,
    cidr_change_problems,
    ip,
    network,
)

NET = network("10.0.0.0/24")
NET6 = network("2001:db8::/64")
DYN = Range(1, "dynamic", ip("10.0.0.100"), ip("10.0.0.200"), "pool")
RES = Range(2, "reserved", ip("10.0.0.10"), ip("10.0.0.20"))


def errors(kind: str, start: str, end: str, net=NET, others=(), allocated=(), gateway=None) -> dict:  # noqa: ANN001
    with pytest.raises(InvalidInput) as caught:
        check_range(kind, ip(start), ip(end), net, list(others), [ip(a) for a in allocated],
                    ip(gateway) if gateway else None)
    return caught.value.errors


def test_a_range_inside_a_free_subnet_is_fine() -> None:
    check_range("dynamic", ip("10.0.0.1"), ip("10.0.0.254"), NET, [], [])
    check_range("reserved", ip("10.0.0.5"), ip("10.0.0.5"), NET, [DYN], [ip("10.0.0.5")])
    check_range("dynamic", ip("2001:db8::10"), ip("2001:db8::ff"), NET6, [], [])


def test_addresses_must_be_in_the_subnet_and_its_family() -> None:
    assert errors("dynamic", "10.0.1.5", "10.0.0.9") == {"start_ip": ["10.0.1.5 is not in subnet 10.0.0.0/24."]}
    assert errors("reserved", "2001:db8::1", "10.0.0.9")["start_ip"] == [
        "2001:db8::1 is an IPv6 address but subnet 10.0.0.0/24 is IPv4."]


def test_end_must_not_be_below_start() -> None:
    assert errors("dynamic", "10.0.0.50", "10.0.0.40") == {
        "end_ip": ["The end address 10.0.0.40 is lower than the start address 10.0.0.50."]}


def test_network_and_broadcast_addresses_are_excluded_for_ipv4() -> None:
    assert errors("reserved", "10.0.0.0", "10.0.0.9") == {
        "start_ip": ["10.0.0.0 is the network address of subnet 10.0.0.0/24."]}
    assert errors("reserved", "10.0.0.9", "10.0.0.255") == {
        "end_ip": ["10.0.0.255 is the broadcast address of subnet 10.0.0.0/24."]}
    # /31 point-to-point links and IPv6 have no such addresses.
    check_range("reserved", ip("10.9.9.0"), ip("10.9.9.1"), network("10.9.9.0/31"), [])
    check_range("reserved", ip("2001:db8::"), ip("2001:db8::5"), NET6, [])


def test_dynamic_ranges_may_not_overlap_any_range_and_name_it() -> None:
    message = errors("dynamic", "10.0.0.150", "10.0.0.250", others=[DYN])["__all__"][0]
    assert message == ("Requested dynamic range 10.0.0.150-10.0.0.250 overlaps with the existing "
                       "dynamic range 10.0.0.100-10.0.0.200 (id 1, 'pool').")
    assert "reserved range 10.0.0.10-10.0.0.20 (id 2)" in errors("dynamic", "10.0.0.1", "10.0.0.10",
                                                                  others=[RES])["__all__"][0]


def test_reserved_ranges_may_not_overlap_other_ranges() -> None:
    assert "dynamic range 10.0.0.100-10.0.0.200" in errors("reserved", "10.0.0.200", "10.0.0.210",
                                                           others=[DYN])["__all__"][0]


def test_adjacent_ranges_do_not_overlap() -> None:
    check_range("dynamic", ip("10.0.0.201"), ip("10.0.0.250"), NET, [DYN, RES], [])


def test_dynamic_ranges_may_not_include_allocated_addresses_or_the_gateway() -> None:
    message = errors("dynamic", "10.0.0.30", "10.0.0.60", allocated=["10.0.0.40", "10.0.0.31"])["__all__"][0]
    assert message == "Requested dynamic range 10.0.0.30-10.0.0.60 includes allocated address(es) 10.0.0.31, 10.0.0.40."
    many = [f"10.0.0.{i}" for i in range(30, 40)]
    assert "and 5 more" in errors("dynamic", "10.0.0.30", "10.0.0.60", allocated=many)["__all__"][0]
    assert "gateway 10.0.0.1" in errors("dynamic", "10.0.0.1", "10.0.0.9", gateway="10.0.0.1")["__all__"][0]


def test_gateway_rules() -> None:
    check_gateway(ip("10.0.0.1"), NET)
    check_gateway(None, NET)
    for bad, why in [("10.0.1.1", "not in subnet"), ("10.0.0.0", "network address"),
                     ("10.0.0.255", "broadcast address"), ("fe80::1", "IPv6 address")]:
        with pytest.raises(InvalidInput) as caught:
            check_gateway(ip(bad), NET)
        assert why in caught.value.errors["gateway_ip"][0]


def test_cidr_change_keeps_ranges_and_addresses_inside() -> None:
    assert cidr_change_problems(network("10.0.0.0/16"), [DYN, RES], [ip("10.0.0.5")]) == []
    problems = cidr_change_problems(network("10.0.0.0/25"), [DYN, RES], [ip("10.0.0.5"), ip("10.0.0.130")])
    assert problems == ["dynamic range 10.0.0.100-10.0.0.200 (id 1, 'pool') would fall outside 10.0.0.0/25",
                        "allocated address(es) 10.0.0.130 would fall outside 10.0.0.0/25"]


def test_address_problem_is_none_for_a_host_address() -> None:
    assert address_problem(ip("10.0.0.7"), NET) is None
