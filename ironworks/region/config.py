"""regiond.conf: the region's local configuration, with the key names MAAS users know.

The file is YAML at /etc/maas/regiond.conf (or $MAAS_REGION_CONFIG); the data directory is
/var/lib/maas (or $MAAS_DATA).  Writes change only the keys given and leave the file mode 0640.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ironworks.common.config import ConfigFile, data_dir_from_env
from ironworks.db.connect import Target, database_for
from ironworks.db.embedded import EmbeddedPostgres

DEFAULT_CONFIG_PATH = Path("/etc/maas/regiond.conf")


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
        return cls(config=Path(os.environ.get("MAAS_REGION_CONFIG", DEFAULT_CONFIG_PATH)),
                   data=data_dir_from_env())

    @property
    def file(self) -> ConfigFile[RegionConfig]:
        return ConfigFile(RegionConfig, self.config)


def load(paths: Paths | None = None) -> RegionConfig:
    return (paths or Paths.from_env()).file.load()


def update(changes: dict[str, Any], paths: Paths | None = None) -> RegionConfig:
    return (paths or Paths.from_env()).file.update(changes)


def embedded_database(config: RegionConfig, data_dir: Path) -> EmbeddedPostgres | None:
    """The private PostgreSQL cluster this region runs, or None when one is configured."""
    if not config.embedded_database:
        return None
    return EmbeddedPostgres(base=data_dir / "postgres", port=config.database_port)


def database_target(config: RegionConfig, data_dir: Path) -> Target:
    embedded = embedded_database(config, data_dir)
    host = embedded.host if embedded else str(config.database_host)
    return Target(host, config.database_port, config.database_name, config.database_user,
                  config.database_pass)


def open_database(config: RegionConfig, data_dir: Path) -> contextlib.AbstractContextManager[Target]:
    """The region's database, reachable for the block (the embedded one started if need be)."""
    return database_for(database_target(config, data_dir), embedded_database(config, data_dir))
