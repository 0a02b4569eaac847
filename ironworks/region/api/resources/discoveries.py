"""Discoveries (`discovery/`, `discovery/{discovery_id}/`): devices racks saw on their
networks.  Racks do not report observations yet, so every listing is empty and every
discovery is unknown; the handlers exist so clients get MAAS's answers (a list, a 404)."""

from __future__ import annotations

from ironworks.common.errors import NotFound
from ironworks.region.api.context import Call
from ironworks.region.api.operations import Handler

discoveries = Handler("DiscoveriesHandler", "discovery/", "Query observed discoveries.")
discovery = Handler("DiscoveryHandler", "discovery/{discovery_id}/", "Read an observed discovery.")


@discovery.lookup
async def find_discovery(call: Call) -> dict:
    raise NotFound.model("Discovery")


@discoveries.action("read")
async def list_discoveries(call: Call) -> list[dict]:
    """List all discoveries (IP address, MAC address, hostname, fabric, VID, observer)."""
    return []


@discoveries.action("by_unknown_mac", method="GET")
async def by_unknown_mac(call: Call) -> list[dict]:
    """List discoveries whose MAC address is not known to MAAS."""
    return []


@discoveries.action("by_unknown_ip", method="GET")
async def by_unknown_ip(call: Call) -> list[dict]:
    """List discoveries whose IP address is not known to MAAS."""
    return []


@discoveries.action("by_unknown_ip_and_mac", method="GET")
async def by_unknown_ip_and_mac(call: Call) -> list[dict]:
    """List discoveries whose IP address and MAC address are both unknown to MAAS."""
    return []


@discovery.action("read")
async def read_discovery(call: Call) -> dict:
    """Read a discovery."""
    return await find_discovery(call)
