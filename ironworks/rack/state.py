"""The rack's own state in its data directory ($MAAS_DATA, else /var/lib/maas).

    secret          the cluster's shared secret, hex (0600)   -- `maas-rack register` writes it
    maas_id         this rack's system id                     -- the region assigns it
    cluster_uuid    the MAAS cluster it registered with       -- the region tells it
    rpc-cache.json  region addresses last heard of            -- so a rack whose configured
                                                                 URL is dead can still start

Every write is atomic (readers see the old file or the new one).  Only `secret()` refuses a
bad file; the other files are plain or advisory, and a corrupt cache reads as empty.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from ironworks.common import identity
from ironworks.common.config import ConfigError, data_dir_from_env, write_atomically
from ironworks.common.protocol.auth import SECRET_FILE_NAME, parse_secret

CLUSTER_UUID_FILE = "cluster_uuid"
CACHE_FILE = "rpc-cache.json"

Endpoint = tuple[str, int]  # (address, port) of a region


class RackState:
    """The files of one rack's data directory; every method reads or writes the disk anew, so
    a change made by `maas-rack register` is seen by a running daemon on its next call."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir if data_dir is not None else data_dir_from_env()

    @property
    def secret_path(self) -> Path:
        return self.data_dir / SECRET_FILE_NAME

    @property
    def cluster_uuid_path(self) -> Path:
        return self.data_dir / CLUSTER_UUID_FILE

    @property
    def cache_path(self) -> Path:
        return self.data_dir / CACHE_FILE

    # --- the shared secret --------------------------------------------------------------------

    def secret(self) -> bytes | None:
        """The shared secret's bytes; None when no secret file exists (not registered).
        ConfigError (one line naming the file) when the file cannot be read or is not hex."""
        try:
            text = self.secret_path.read_text()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not text"
            raise ConfigError(f"cannot read the shared secret {self.secret_path}: {reason}") from None
        try:
            return parse_secret(text)
        except ValueError as exc:
            raise ConfigError(f"{self.secret_path}: {exc}; register again with 'maas-rack register'") from None

    def write_secret(self, secret_hex: str) -> None:
        """Store the secret (hex, as the region prints it) with mode 0600.  ValueError with a
        plain reason when it is not a valid secret; nothing is written then."""
        raw = parse_secret(secret_hex)
        write_atomically(self.secret_path, raw.hex() + "\n", 0o600)

    # --- identity -----------------------------------------------------------------------------

    def system_id(self) -> str | None:
        """This rack's system id, None before its first registration."""
        return identity.read(self.data_dir)

    def set_system_id(self, system_id: str) -> None:
        identity.write(self.data_dir, system_id)

    def cluster_uuid(self) -> str | None:
        """The UUID of the MAAS cluster this rack registered with, None before that."""
        try:
            value = self.cluster_uuid_path.read_text().strip()
        except FileNotFoundError:
            return None
        return value or None

    def set_cluster_uuid(self, cluster_uuid: str) -> None:
        write_atomically(self.cluster_uuid_path, cluster_uuid.strip() + "\n", 0o644)

    # --- region addresses ---------------------------------------------------------------------

    def cached_endpoints(self) -> list[Endpoint]:
        """The region addresses last cached, in order; [] when there is no cache or it is
        unreadable or malformed (it is only a hint, never a reason to fail)."""
        try:
            data = json.loads(self.cache_path.read_text())
        except (OSError, ValueError):
            return []
        if not isinstance(data, list):
            return []
        endpoints: list[Endpoint] = []
        for item in data:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and item[0]
                    and type(item[1]) is int and 0 < item[1] < 65536):
                return []  # one bad entry: the file is not ours or half-edited; trust none of it
            endpoint = (item[0], item[1])
            if endpoint not in endpoints:
                endpoints.append(endpoint)
        return endpoints

    def cache_endpoints(self, endpoints: Iterable[Endpoint]) -> None:
        """Replace the cache with these (address, port) pairs, duplicates dropped, order kept."""
        unique: list[Endpoint] = []
        for address, port in endpoints:
            if (address, int(port)) not in unique:
                unique.append((address, int(port)))
        write_atomically(self.cache_path, json.dumps([list(e) for e in unique]) + "\n", 0o640)

    # --- forgetting ---------------------------------------------------------------------------

    def forget_identity(self) -> None:
        """Drop the system id, the cluster UUID and the address cache: the next connection
        registers as a new rack (or is matched by hostname/MAC).  The secret stays."""
        identity.forget(self.data_dir)
        for path in (self.cluster_uuid_path, self.cache_path):
            path.unlink(missing_ok=True)

    def wipe(self) -> None:
        """Everything `forget_identity` drops, and the secret: for a rack the region deleted."""
        self.forget_identity()
        self.secret_path.unlink(missing_ok=True)
