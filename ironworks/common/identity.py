"""This host's node identity, kept in the data directory (`maas_id`) so it survives restarts."""

from __future__ import annotations

from pathlib import Path

from ironworks.common.config import write_atomically

FILE_NAME = "maas_id"


def read(data_dir: Path) -> str | None:
    try:
        value = (data_dir / FILE_NAME).read_text().strip()
    except FileNotFoundError:
        return None
    return value or None


def write(data_dir: Path, system_id: str) -> None:
    write_atomically(data_dir / FILE_NAME, system_id + "\n", 0o644)


def forget(data_dir: Path) -> None:
    (data_dir / FILE_NAME).unlink(missing_ok=True)
