"""regiond.conf: the region's local configuration, with the key names MAAS users know.

The file is YAML at /etc/maas/regiond.conf (or $MAAS_REGION_CONFIG); the data directory is
/var/lib/maas (or $MAAS_DATA).  Writes change only the keys given and leave the file mode 0640.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG_PATH = Path("/etc/maas/regiond.conf")
DEFAULT_DATA_DIR = Path("/var/lib/maas")


class ConfigError(Exception):
    """A configuration problem, reported to the operator as one line."""


class RegionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    maas_url: str = "http://localhost:5240/MAAS"
    # None means "embedded": the region runs its own PostgreSQL in the data directory.
    database_host: str | None = None
    database_port: int = Field(default=5432, ge=1, le=65535)
    database_name: str = "maasdb"
    database_user: str = "maas"
    database_pass: str | None = None
    num_workers: int = Field(default=4, ge=1, le=64)
    listen_address: str = "0.0.0.0"
    listen_port: int = Field(default=5240, ge=1, le=65535)

    @field_validator("database_host", "database_pass", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @property
    def embedded_database(self) -> bool:
        return self.database_host is None


KEYS = tuple(RegionConfig.model_fields)


@dataclass(frozen=True)
class Paths:
    config: Path
    data: Path

    @classmethod
    def from_env(cls) -> "Paths":
        return cls(
            config=Path(os.environ.get("MAAS_REGION_CONFIG", DEFAULT_CONFIG_PATH)),
            data=Path(os.environ.get("MAAS_DATA", DEFAULT_DATA_DIR)),
        )


def _read_raw(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of keys to values")
    return data


def _validate(data: dict[str, Any], source: Path) -> RegionConfig:
    try:
        return RegionConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "config"
        raise ConfigError(f"{source}: {key}: {first['msg']}") from None


def load(paths: Paths | None = None) -> RegionConfig:
    paths = paths or Paths.from_env()
    return _validate(_read_raw(paths.config), paths.config)


def update(changes: dict[str, Any], paths: Paths | None = None) -> RegionConfig:
    """Change only the given keys, validate the result, and write it back (mode 0640)."""
    paths = paths or Paths.from_env()
    raw = _read_raw(paths.config)
    raw.update(changes)
    config = _validate(raw, paths.config)
    stored = {k: v for k, v in raw.items() if v is not None}
    paths.config.parent.mkdir(parents=True, exist_ok=True)
    tmp = paths.config.with_name(paths.config.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(stored, fh, default_flow_style=False, sort_keys=True)
    os.chmod(tmp, 0o640)
    os.replace(tmp, paths.config)
    return config
