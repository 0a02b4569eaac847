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
    NodeType.MACHINE: "Machine", NodeType.DEVICE: "Device",
    NodeType.RACK_CONTROLLER: "Rack controller", NodeType.REGION_CONTROLLER: "Region controller",
    NodeType.REGION_AND_RACK_CONTROLLER: "Region and rack controller",
}
MACHINE_TYPES = (NodeType.MACHINE,)
CONTROLLER_TYPES = (NodeType.RACK_CONTROLLER, NodeType.REGION_CONTROLLER, NodeType.REGION_AND_RACK_CONTROLLER)
RACK_TYPES = (NodeType.RACK_CONTROLLER, NodeType.REGION_AND_RACK_CONTROLLER)
REGION_TYPES = (NodeType.REGION_CONTROLLER, NodeType.REGION_AND_RACK_CONTROLLER)


def as_region(node_type: int) -> NodeType:
    """A rack (or region+rack) that also runs a region is region+rack."""
    return NodeType.REGION_AND_RACK_CONTROLLER if node_type in RACK_TYPES else NodeType.REGION_CONTROLLER


class NodeStatus(IntEnum):
    NEW = 0
    COMMISSIONING = 1
    FAILED_COMMISSIONING = 2
    MISSING = 3
    READY = 4
    RESERVED = 5
    DEPLOYED = 6
    RETIRED = 7
    BROKEN = 8
    DEPLOYING = 9
    ALLOCATED = 10
    FAILED_DEPLOYMENT = 11
    RELEASING = 12
    FAILED_RELEASING = 13
    DISK_ERASING = 14
    FAILED_DISK_ERASING = 15
    RESCUE_MODE = 16
    ENTERING_RESCUE_MODE = 17
    FAILED_ENTERING_RESCUE_MODE = 18
    EXITING_RESCUE_MODE = 19
    FAILED_EXITING_RESCUE_MODE = 20
    TESTING = 21
    FAILED_TESTING = 22


STATUS_NAMES = {
    NodeStatus.NEW: "New", NodeStatus.COMMISSIONING: "Commissioning",
    NodeStatus.FAILED_COMMISSIONING: "Failed commissioning", NodeStatus.MISSING: "Missing",
    NodeStatus.READY: "Ready", NodeStatus.RESERVED: "Reserved", NodeStatus.DEPLOYED: "Deployed",
    NodeStatus.RETIRED: "Retired", NodeStatus.BROKEN: "Broken", NodeStatus.DEPLOYING: "Deploying",
    NodeStatus.ALLOCATED: "Allocated", NodeStatus.FAILED_DEPLOYMENT: "Failed deployment",
    NodeStatus.RELEASING: "Releasing", NodeStatus.FAILED_RELEASING: "Releasing failed",
    NodeStatus.DISK_ERASING: "Disk erasing", NodeStatus.FAILED_DISK_ERASING: "Failed disk erasing",
    NodeStatus.RESCUE_MODE: "Rescue mode", NodeStatus.ENTERING_RESCUE_MODE: "Entering rescue mode",
    NodeStatus.FAILED_ENTERING_RESCUE_MODE: "Failed to enter rescue mode",
    NodeStatus.EXITING_RESCUE_MODE: "Exiting rescue mode",
    NodeStatus.FAILED_EXITING_RESCUE_MODE: "Failed to exit rescue mode",
    NodeStatus.TESTING: "Testing", NodeStatus.FAILED_TESTING: "Failed testing",
}
