"""The services a rack controller reports on (the `service_set` of its node), and the statuses
a service may have (the service table's check)."""

from __future__ import annotations

from typing import Literal

# `rackd` is the rack daemon itself: the region derives it from the channel, the rack never
# reports it.  The others the rack reports with a status and a sentence.
RACKD = "rackd"
# MAAS 2.0's rack service names (the API reference), so scripts that grep service_set find them.
RACK_SERVICES = ("tftp", "http", "dhcpd", "dhcpd6", "ntp_rack", "proxy_rack", "syslog_rack", "agent")
ServiceStatus = Literal["unknown", "running", "degraded", "dead", "off"]
SERVICE_STATUSES: tuple[ServiceStatus, ...] = ("unknown", "running", "degraded", "dead", "off")
