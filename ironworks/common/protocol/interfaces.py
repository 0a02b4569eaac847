"""What a rack reports about its network interfaces (the `register` and `report_interfaces`
calls), validated the same way on both ends."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

InterfaceType = Literal["physical", "vlan", "bond", "bridge"]


class InterfaceReport(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    type: InterfaceType
    mac_address: str | None = None
    parents: list[str] = []      # a VLAN's parent; a bond's or bridge's members
    vid: int | None = Field(default=None, ge=0, le=4094)  # VLAN interfaces only
    enabled: bool = True         # administratively up
    addresses: list[str] = []    # "10.0.0.5/24", "fd00::5/64": address with its prefix length
