"""Global configuration (`maas/?op=get_config|set_config`): known names, their types, defaults."""

from __future__ import annotations

import ipaddress
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput
from ironworks.common.values import parse_bool
from ironworks.db import tables as t


def _text(value: str) -> str:
    return value


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError("Enter a whole number.") from None


def _ttl(value: str) -> int:
    number = _int(value)
    if not 1 <= number <= 604800:
        raise ValueError("Ensure this value is between 1 and 604800.")
    return number


def _addresses(value: str) -> str:
    for item in value.replace(",", " ").split():
        try:
            ipaddress.ip_address(item)
        except ValueError:
            raise ValueError(f"'{item}' is not a valid IP address.") from None
    return value


# name -> (default, parser of the submitted text)
CONFIG: dict[str, tuple[Any, Callable[[str], Any]]] = {
    "maas_name": ("ironworks", _text),
    "main_archive": ("http://archive.ubuntu.com/ubuntu", _text),
    "ports_archive": ("http://ports.ubuntu.com/ubuntu-ports", _text),
    "default_osystem": ("ubuntu", _text),
    "default_distro_series": ("jammy", _text),
    "commissioning_distro_series": ("jammy", _text),
    "http_proxy": (None, _text),
    "enable_http_proxy": (True, parse_bool),
    "curtin_verbose": (True, parse_bool),
    "kernel_opts": (None, _text),
    "upstream_dns": (None, _addresses),
    "dnssec_validation": ("auto", _text),
    "default_dns_ttl": (30, _ttl),
    "enable_disk_erasing_on_release": (False, parse_bool),
    "windows_kms_host": (None, _text),
    "boot_images_auto_import": (True, parse_bool),
    "ntp_servers": ("ntp.ubuntu.com", _text),
    "default_storage_layout": ("flat", _text),
    "default_min_hwe_kernel": ("", _text),
    "enable_third_party_drivers": (True, parse_bool),
    "maas_url": (None, _text),
    "network_discovery": ("enabled", _text),
}
ALIASES = {"ntp_server": "ntp_servers"}


def _known(name: str) -> str:
    name = ALIASES.get(name, name)
    if name not in CONFIG:
        raise InvalidInput.field(
            "name", f"Select a valid choice. {name} is not one of the available choices.")
    return name


async def get(conn: AsyncConnection, name: str) -> Any:
    name = _known(name)
    row = (await conn.execute(select(t.config.c.value).where(t.config.c.name == name))).first()
    return row.value if row else CONFIG[name][0]


async def set(conn: AsyncConnection, name: str, value: str) -> Any:
    name = _known(name)
    try:
        parsed = CONFIG[name][1](value)
    except ValueError as exc:
        raise InvalidInput.field("value", str(exc)) from None
    stmt = insert(t.config).values(name=name, value=parsed)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": parsed}))
    return parsed
