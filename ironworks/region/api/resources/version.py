"""`version/`: anonymous, lists the capabilities clients look for."""

from __future__ import annotations

from ironworks import __version__
from ironworks.region.api.context import Call
from ironworks.region.api.operations import Handler

CAPABILITIES = [
    "networks-management", "static-ipaddresses", "ipv6-deployment-ubuntu", "devices-management",
    "storage-deployment-ubuntu", "network-deployment-ubuntu", "bridging-interface-ubuntu",
    "bridging-automatic-ubuntu", "authenticate-api",
]

version = Handler("VersionHandler", "version/", "Information about this MAAS instance.", anon=True)


@version.action("read")
async def read(call: Call) -> dict:
    """Version and capabilities of this MAAS instance."""
    return {"capabilities": CAPABILITIES, "version": __version__, "subversion": "ironworks"}
