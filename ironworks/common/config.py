"""Local configuration files shared by both daemons (regiond.conf, rackd.conf): YAML read and
validated with a pydantic model, one-line errors, and atomic 0640 writes that change only the
keys given.  Each daemon declares its own model and file location."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

DEFAULT_DATA_DIR = Path("/var/lib/maas")

M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """A configuration problem, reported to the operator as one line."""


def data_dir_from_env() -> Path:
    """Where a daemon keeps its state: $MAAS_DATA, else /var/lib/maas."""
    return Path(os.environ.get("MAAS_DATA", DEFAULT_DATA_DIR))


class ConfigFile(Generic[M]):
    """One YAML file validated by `model`."""

    def __init__(self, model: type[M], path: Path) -> None:
        self.model = model
        self.path = path

    def read_raw(self) -> dict[str, Any]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{self.path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{self.path} must hold a mapping of keys to values")
        return data

    def validate(self, data: dict[str, Any]) -> M:
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"]) or "config"
            reason = first["msg"].removeprefix("Value error, ")  # pydantic's wrapping of a ValueError
            raise ConfigError(f"{self.path}: {key}: {reason}") from None

    def load(self) -> M:
        return self.validate(self.read_raw())

    def update(self, changes: dict[str, Any]) -> M:
        """Change only the given keys, validate the result, and write it back (mode 0640)."""
        raw = self.read_raw()
        raw.update(changes)
        config = self.validate(raw)
        stored = {k: v for k, v in raw.items() if v is not None}
        write_atomically(self.path, yaml.safe_dump(stored, default_flow_style=False, sort_keys=True), 0o640)
        return config


def write_atomically(path: Path, text: str, mode: int) -> None:
    """Replace `path` with `text` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
