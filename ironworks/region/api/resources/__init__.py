"""Every API handler, in one list: the router and describe/ both read it.

Each module below declares its `Handler`s at module level; they are collected in order.
"""

from __future__ import annotations

from importlib import import_module

from ironworks.region.api.operations import Handler

MODULES = [
    "version", "users", "maas", "zones", "pools", "domains", "spaces", "fabrics", "vlans",
    "subnets", "ipranges", "ipaddresses", "machines", "controllers", "interfaces", "nodes", "devices",
    "tags", "sshkeys", "notifications", "static_routes", "package_repositories", "discoveries",
]


def _collect() -> list[Handler]:
    handlers: list[Handler] = []
    for name in MODULES:
        module = import_module(f"{__name__}.{name}")
        handlers += [v for v in vars(module).values() if isinstance(v, Handler)]
    return handlers


HANDLERS: list[Handler] = _collect()
