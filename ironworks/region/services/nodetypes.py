"""Node types and statuses, with MAAS's numbering (clients check these integers)."""

from __future__ import annotations

from enum import IntEnum


class NodeType(IntEnum):
    MACHINE = 0
    DEVICE = 1
    RACK_CONTROLLER = 2
    REGION_CONTROLLER = 3
    REGION_AND_RACK_CONTROLLER = 4


NODE_TYPE_NAMES = {
    0: "Machine", 1: "Device", 2: "Rack controller", 3: "Region controller",
    4: "Region and rack controller",
}
CONTROLLER_TYPES = (2, 3, 4)
RACK_TYPES = (2, 4)
REGION_TYPES = (3, 4)


def as_region(node_type: int) -> int:
    """A rack (or region+rack) that also runs a region is region+rack."""
    return 4 if node_type in RACK_TYPES else 3


STATUS_NAMES = {
    0: "New", 1: "Commissioning", 2: "Failed commissioning", 3: "Missing", 4: "Ready",
    5: "Reserved", 6: "Deployed", 7: "Retired", 8: "Broken", 9: "Deploying", 10: "Allocated",
    11: "Failed deployment", 12: "Releasing", 13: "Releasing failed", 14: "Disk erasing",
    15: "Failed disk erasing", 16: "Rescue mode", 17: "Entering rescue mode",
    18: "Failed to enter rescue mode", 19: "Exiting rescue mode",
    20: "Failed to exit rescue mode", 21: "Testing", 22: "Failed testing",
}
