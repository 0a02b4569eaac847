"""The `maas` CLI's profile store: `~/.maascli.db`, laid out as maascli lays it out.

One sqlite table, `profiles(id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB)`, where `data`
is the JSON of `{"credentials": [ck, tk, ts] | null, "description": <describe document>,
"name": ..., "url": ...}`.  The file holds API keys, so it is created owner-only (0600).
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

DB_NAME = ".maascli.db"
SCHEMA = "CREATE TABLE IF NOT EXISTS profiles (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)"

Profile = dict[str, Any]


def default_path() -> Path:
    """`~/.maascli.db`; `~` follows `$HOME`."""
    return Path(os.path.expanduser("~")) / DB_NAME


class ProfileStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def _connect(self, *, create: bool) -> sqlite3.Connection | None:
        if not self.path.exists():
            if not create:
                return None
            # Create it owner-only before sqlite opens it, so no key is ever world-readable.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        if create:
            os.chmod(self.path, 0o600)
        conn = sqlite3.connect(self.path)
        if create:
            with conn:
                conn.execute(SCHEMA)
        return conn

    def all(self) -> list[Profile]:
        conn = self._connect(create=False)
        if conn is None:
            return []
        with closing(conn):
            try:
                rows = conn.execute("SELECT data FROM profiles ORDER BY name").fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return []
                raise
        return [json.loads(data) for (data,) in rows]

    def names(self) -> list[str]:
        return [p["name"] for p in self.all()]

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.all() if p["name"] == name), None)

    def save(self, profile: Profile) -> None:
        conn = self._connect(create=True)
        assert conn is not None
        with closing(conn), conn:
            conn.execute("INSERT INTO profiles (name, data) VALUES (?, ?) "
                         "ON CONFLICT(name) DO UPDATE SET data = excluded.data",
                         (profile["name"], json.dumps(profile)))

    def delete(self, name: str) -> bool:
        conn = self._connect(create=False)
        if conn is None:
            return False
        with closing(conn), conn:
            try:
                return conn.execute("DELETE FROM profiles WHERE name = ?", (name,)).rowcount > 0
            except sqlite3.OperationalError:
                return False
