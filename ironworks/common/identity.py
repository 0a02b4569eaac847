"""This host's node identity, kept in the data directory (`maas_id`) so it survives restarts."""

from __future__ import annotations

from pathlib import Path


def read(data_dir: Path) -> str | None:
    try:
        value = (data_dir / "maas_id").read_text().strip()
    except FileNotFoundError:
        return None
    return value or None


def write(data_dir: Path, system_id: str) -> None:
    (data_dir / "maas_id").write_text(system_id + "\n")
