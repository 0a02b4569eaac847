"""The services a rack controller reports, as they really are on this host.  `rackd` is not
among them: the region derives it from the rack's connections.  Later parts (Kea, TFTP, HTTP
boot) plug their supervisors in here; until then they do not run, and say so."""

from __future__ import annotations

from ironworks.common.protocol.services import RACK_SERVICES


def service_statuses() -> dict[str, tuple[str, str]]:
    return {name: ("off", "") for name in RACK_SERVICES}
