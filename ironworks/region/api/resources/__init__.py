"""Every API handler, in one list: the router and describe/ both read it."""

from __future__ import annotations

from ironworks.region.api.operations import Handler
from ironworks.region.api.resources import maas, users, version

HANDLERS: list[Handler] = [
    version.version,
    users.users, users.user, users.account,
    maas.maas,
]
