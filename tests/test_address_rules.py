"""The pure static-address rules (`services/networking/address_rules.py`), each with its
message: fast, no region."""

from __future__ import annotations

import pytest

from ironworks.common.errors import Conflict, InvalidInput, Unavailable
from ironworks.region.services.networking import address_rules as rules
from ironworks.region.services.networking.ipam import Range, ip, network

NET = network("10.0.0.0/24")
DYNAMIC = Range(3, "dynamic", ip("10.0.0.100"), ip("10.0.0.150"))
RESERVED = Range(4, "reserved", ip("10.0.0.2"), ip("10.0.0.9"), "printers")


def field_error(addr: str, key: str = "ip_address") -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        rules.check_requested(ip(addr), NET, [DYNAMIC, RESERVED], set(), key)
    return caught.value.errors


def test_a_requested_address_is_a_free_host_address_outside_dynamic_ranges() -> None:
    rules.check_requested(ip("10.0.0.50"), NET, [DYNAMIC, RESERVED], {ip("10.0.0.51")})
    rules.check_requested(ip("10.0.0.5"), NET, [DYNAMIC, RESERVED], set())  # reserved ranges are for choices
    assert field_error("10.1.0.5") == {"ip_address": ["IP address 10.1.0.5 is not in subnet 10.0.0.0/24."]}
    assert field_error("10.0.0.0") == {"ip_address": ["IP address 10.0.0.0 is the network address of subnet 10.0.0.0/24."]}
    assert field_error("10.0.0.255", "ip") == {"ip": ["IP address 10.0.0.255 is the broadcast address of subnet 10.0.0.0/24."]}
    assert field_error("fd00::5") == {"ip_address": ["IP address fd00::5 is an IPv6 address but subnet 10.0.0.0/24 is IPv4."]}
    assert field_error("10.0.0.120") == {"ip_address": [
        "IP address 10.0.0.120 is inside the dynamic range 10.0.0.100-10.0.0.150 (id 3); choose an address "
        "outside dynamic ranges."]}
    with pytest.raises(Conflict, match=r"^IP address 10\.0\.0\.51 is already in use\.$"):
        rules.check_requested(ip("10.0.0.51"), NET, [DYNAMIC], {ip("10.0.0.51")})


def test_the_allocator_skips_ranges_the_gateway_and_taken_addresses() -> None:
    assert rules.first_free(NET, [], set(), None) == ip("10.0.0.1")
    assert rules.first_free(NET, [], set(), ip("10.0.0.1")) == ip("10.0.0.2")
    assert rules.first_free(NET, [RESERVED], set(), ip("10.0.0.1")) == ip("10.0.0.10")
    assert rules.first_free(NET, [RESERVED], {ip("10.0.0.10"), ip("10.0.0.11")}, ip("10.0.0.1")) == ip("10.0.0.12")
    everything_low = Range(5, "reserved", ip("10.0.0.1"), ip("10.0.0.99"))
    assert rules.first_free(NET, [DYNAMIC, everything_low], set(), None) == ip("10.0.0.151")
    # Ranges of the other family are ignored; IPv6 has no network or broadcast address to skip.
    v6 = network("fd00::/126")
    assert rules.first_free(v6, [DYNAMIC], {ip("fd00::")}, ip("fd00::1")) == ip("fd00::2")


def test_a_full_subnet_has_no_free_address() -> None:
    small = network("10.0.0.0/29")  # hosts .1 to .6
    whole = Range(6, "dynamic", ip("10.0.0.1"), ip("10.0.0.6"))
    assert rules.first_free(small, [whole], set(), None) is None
    taken = {ip(f"10.0.0.{n}") for n in range(2, 7)}
    assert rules.first_free(small, [], taken, ip("10.0.0.1")) is None
    assert rules.first_free(small, [], taken, None) == ip("10.0.0.1")
    with pytest.raises(Unavailable, match=r"^No more IPs available in subnet: 10\.0\.0\.0/29\.$"):
        rules.allocate(small, [whole], set(), None)
    assert rules.allocate(small, [], set(), ip("10.0.0.1")) == ip("10.0.0.2")


def test_a_huge_subnet_is_walked_by_ranges_not_addresses() -> None:
    huge = network("fd00::/64")
    span = Range(7, "reserved", ip("fd00::"), ip("fd00::ffff:ffff:ffff"))
    assert rules.first_free(huge, [span], set(), None) == ip("fd00::1:0:0:0")
