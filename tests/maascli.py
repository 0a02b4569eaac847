"""The `maas` client as the CLI tests drive it: one logged-in `admin` profile, JSON answers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from ironworks.lab.harness import Region

Maas = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def admin(region: Region, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Maas:
    """Runs `maas …` with a fresh $HOME holding an `admin` profile; never raises on exit codes."""
    monkeypatch.setitem(region.env, "HOME", str(tmp_path))

    def run(*args: str) -> subprocess.CompletedProcess:
        return region.run("maas", *args, check=False)

    assert run("login", "admin", region.url, region.apikey).returncode == 0
    return run


def out(result: subprocess.CompletedProcess) -> Any:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return json.loads(result.stdout) if result.stdout.strip() else None
