"""rackd.conf: the rack's local configuration (today just the regions' URLs).

The file is YAML at /etc/maas/rackd.conf, or the file named by $MAAS_CLUSTER_CONFIG (the
variable MAAS uses).  Reads and atomic 0640 writes go through `common.config.ConfigFile`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, field_validator

from ironworks.common.config import ConfigFile

DEFAULT_CONFIG_PATH = Path("/etc/maas/rackd.conf")
CONFIG_ENV = "MAAS_CLUSTER_CONFIG"


def normalise_url(text: str) -> str:
    """A region URL in one spelling: `http(s)://host[:port]/path` without a trailing slash;
    a URL with no path gets `/MAAS`.  ValueError with a plain reason otherwise."""
    text = text.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in range
    except ValueError:
        raise ValueError(f"{text!r} is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http:// or https:// URL with a host")
    if parts.query or parts.fragment:
        raise ValueError(f"{text!r}: a region URL has no query or fragment")
    path = parts.path.rstrip("/") or "/MAAS"
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, "", ""))


class RackConfig(BaseModel):
    # Keys older MAAS releases wrote to rackd.conf (tftp_port, cluster_uuid, ...) are kept in
    # the file by updates and ignored here, so an upgraded rack keeps working.
    model_config = ConfigDict(extra="ignore")

    # Every region this rack should reach (with several regions: all of them, or the VIP).
    maas_url: list[str] = []

    @field_validator("maas_url", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, str) else value  # MAAS once wrote a single string

    @field_validator("maas_url")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        urls: list[str] = []
        for url in map(normalise_url, value):
            if url not in urls:
                urls.append(url)
        return urls


def config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_PATH))


def rack_config_file() -> ConfigFile[RackConfig]:
    """rackd.conf ($MAAS_CLUSTER_CONFIG, else /etc/maas/rackd.conf); a missing file is all defaults."""
    return ConfigFile(RackConfig, config_path())


def load() -> RackConfig:
    """rackd.conf, validated; ConfigError (one line naming the file and key) when it is not."""
    return rack_config_file().load()
