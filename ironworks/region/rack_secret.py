"""What a region hands on so racks can register: the shared secret in its data directory
(`secret`, 0640, as MAAS keeps it) and the exact command an operator runs on a rack."""

from __future__ import annotations

import ipaddress
import shlex
import socket
from pathlib import Path

from ironworks.common.config import ConfigError, write_atomically
from ironworks.common.protocol.auth import SECRET_FILE_NAME
from ironworks.region.config import RegionConfig

WILDCARDS = ("", "0.0.0.0", "::")


def write_secret_file(data_dir: Path, secret: str) -> Path:
    path = data_dir / SECRET_FILE_NAME
    try:
        write_atomically(path, secret + "\n", 0o640)
    except OSError as exc:
        raise ConfigError(f"cannot write the shared secret {path}: {exc.strerror}") from None
    return path


def host_address() -> str:
    """This host's address on its default route (no packet is sent), else its name's address."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            return str(probe.getsockname()[0])
    except OSError:
        pass
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def rack_url(config: RegionConfig) -> str:
    """The URL racks should use: regiond.conf's `maas_url` when the file sets one, else this
    region's listen address (this host's address when it listens on all) and port."""
    if "maas_url" in config.model_fields_set:
        return config.maas_url
    host = config.listen_address if config.listen_address not in WILDCARDS else host_address()
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a host name
    return f"http://{host}:{config.listen_port}/MAAS"


def register_commands(urls: list[str], secret: str) -> tuple[str, str]:
    """`maas-rack register ...` and the snap's `maas init rack ...`, ready to paste."""
    rack = " ".join(f"--url {shlex.quote(u)}" for u in urls)
    snap = " ".join(f"--maas-url {shlex.quote(u)}" for u in urls)
    quoted = shlex.quote(secret)
    return (f"maas-rack register {rack} --secret {quoted}",
            f"maas init rack {snap} --secret {quoted}")
