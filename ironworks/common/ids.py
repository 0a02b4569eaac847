"""Identifiers in MAAS's style."""

from __future__ import annotations

import secrets

# MAAS system ids: short, lower-case, without look-alike characters.
SYSTEM_ID_ALPHABET = "2345678abcdefghkmnpqrstwxy"


def new_system_id(length: int = 6) -> str:
    return "".join(secrets.choice(SYSTEM_ID_ALPHABET) for _ in range(length))
