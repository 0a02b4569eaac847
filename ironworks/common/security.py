"""Secrets and proofs that do not belong to one daemon or one protocol: API key parts and
password hashes (the rack channel's HMAC proofs will join them)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string

_ALNUM = string.ascii_letters + string.digits
PBKDF2_ITERATIONS = 260_000


def new_key_parts() -> tuple[str, str, str]:
    """(consumer key, token key, token secret) of a new API key."""
    pick = lambda n: "".join(secrets.choice(_ALNUM) for _ in range(n))  # noqa: E731
    return pick(18), pick(18), pick(32)


def hash_password(password: str) -> str:
    salt = secrets.token_hex(12)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        algorithm, iterations, salt, expected = stored.split("$", 3)
    except ValueError:
        return False
    if algorithm != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return hmac.compare_digest(base64.b64encode(digest).decode(), expected)

