"""Registering a rack: point it at the regions and give it the cluster's shared secret.

Shared by `maas-rack register` and `maas init rack`.  Everything is checked before anything is
written, so bad input leaves the rack as it was.  The rack registers with a region on its next
connection; the daemon watches rackd.conf and the secret file, so no restart is needed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ironworks.common.config import ConfigError, ConfigFile
from ironworks.common.protocol.auth import parse_secret
from ironworks.rack.config import RackConfig, normalise_url, rack_config_file
from ironworks.rack.state import RackState


@dataclass(frozen=True)
class Registration:
    urls: list[str]
    config_path: Path
    secret_path: Path
    forgot_system_id: str | None


def check_urls(urls: list[str]) -> list[str]:
    """The URLs normalised, duplicates dropped; ConfigError naming the first bad one."""
    if not urls:
        raise ConfigError("give at least one region URL")
    checked: list[str] = []
    for url in urls:
        try:
            url = normalise_url(url)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if url not in checked:
            checked.append(url)
    return checked


def set_urls(urls: list[str], config_file: ConfigFile[RackConfig] | None = None) -> RackConfig:
    """Replace rackd.conf's `maas_url` with `urls` (checked first), keeping its other keys."""
    config_file = config_file or rack_config_file()
    checked = check_urls(urls)
    try:
        return config_file.update({"maas_url": checked})
    except OSError as exc:
        raise ConfigError(f"cannot write {config_file.path}: {exc.strerror}") from None


def register(urls: list[str], secret: str, *, config_file: ConfigFile[RackConfig] | None = None,
             state: RackState | None = None) -> Registration:
    """Write the URLs to rackd.conf and the secret file, and forget the old identity."""
    config_file = config_file or rack_config_file()
    state = state or RackState()
    checked = check_urls(urls)
    try:
        parse_secret(secret)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    config_file.load()  # a broken rackd.conf is reported before anything changes
    for directory in (config_file.path.parent, state.data_dir):
        _check_writable(directory)  # so that neither file is written when the other cannot be
    set_urls(checked, config_file)
    old_system_id = state.system_id()
    try:
        state.write_secret(secret)
        # A registration starts a fresh identity: the region matches this host again by
        # hostname or MAC, or creates a new rack; a stale id of another cluster never leaks.
        state.forget_identity()
    except OSError as exc:
        raise ConfigError(f"cannot write in {state.data_dir}: {exc.strerror}") from None
    return Registration(checked, config_file.path, state.secret_path, old_system_id)


def _check_writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {directory}: {exc.strerror}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write in {directory}: permission denied")


def describe(done: Registration) -> str:
    """What `register` did, for the operator."""
    lines = [f"Region URL{'s' if len(done.urls) > 1 else ''}: {', '.join(done.urls)}",
             f"Wrote {done.config_path} (maas_url)",
             f"Wrote the shared secret to {done.secret_path} (mode 0600)"]
    if done.forgot_system_id:
        lines.append(f"Forgot the old system id {done.forgot_system_id}: the rack registers afresh")
    lines.append("A running maas-rackd picks this up within seconds; otherwise start maas-rackd.")
    return "\n".join(lines)
