"""Field types for API forms: how MAAS clients spell booleans, addresses, MACs and blanks."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from ironworks.common.values import parse_bool

# Longest stored free text (descriptions, configuration values): MAAS sets none, but a
# listing returns every description, so one must not be megabytes.
MAX_TEXT = 8192
MAX_COMMENT = 255  # an IP range's comment, as in MAAS
# Hashing cost grows with a password's length; Django refuses longer ones too.
MAX_PASSWORD = 4096

_SCOPE_REFUSED = "a scoped address (%zone) names a host's interface, not an address MAAS can store."


def _ip(value: Any) -> str:
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a valid IPv4 or IPv6 address.") from None
    if getattr(address, "scope_id", None):
        raise ValueError(f"'{value}' is not a valid address: {_SCOPE_REFUSED}")
    return str(address)


def _cidr(value: Any) -> str:
    text = str(value).strip()
    if "/" not in text:
        raise ValueError(f"'{value}' is not a network in CIDR form (address/prefix length).")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"'{value}' is not a network in CIDR form (address/prefix length).") from None
    if getattr(network.network_address, "scope_id", None):
        raise ValueError(f"'{value}' is not a valid network: {_SCOPE_REFUSED}")
    return str(network)


_MAC = re.compile(r"^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?"
                  r"([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$")


def normalise_mac(value: Any) -> str:
    match = _MAC.match(str(value).strip().lower())
    if not match:
        raise ValueError(f"'{value}' is not a valid MAC address.")
    return ":".join(match.groups())


_HOSTNAME_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)


def _hostname(value: Any) -> str:
    text = str(value).strip()
    labels = text.split(".")
    if not text or len(text) > 255 or not all(_HOSTNAME_LABEL.match(lb) for lb in labels):
        raise ValueError(
            f"'{value}' is not a valid hostname: use letters, digits and hyphens, "
            "not starting or ending with a hyphen."
        )
    return text


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip() == "" else value


def _dns_list(value: Any) -> list[str]:
    if isinstance(value, list):
        items = [p for v in value for p in re.split(r"[,\s]+", str(v)) if p]
    else:
        items = [p for p in re.split(r"[,\s]+", str(value)) if p]
    return [_ip(i) for i in items]


Bool = Annotated[bool, BeforeValidator(parse_bool)]
IPAddress = Annotated[str, BeforeValidator(_ip)]
CIDR = Annotated[str, BeforeValidator(_cidr)]
MAC = Annotated[str, BeforeValidator(normalise_mac)]
Hostname = Annotated[str, AfterValidator(_hostname)]
# A reference that an empty string clears (e.g. `primary_rack=` unsets the primary rack).
Clearable = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptionalIP = Annotated[IPAddress | None, BeforeValidator(_blank_to_none)]
DNSServers = Annotated[list[str], BeforeValidator(_dns_list)]


def blank_none(value: Any) -> Any:
    """A blank form value means "not given" (clients send `key=` to clear or skip a field)."""
    return None if isinstance(value, str) and not value.strip() else value
