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


# Checked when there is no usable stored hash (no such user, no password set), so that a
# refusal costs the same PBKDF2 run either way and its timing does not tell who exists.  It
# matches no password: its digest is not base64 of any 32 bytes.
_DUMMY_HASH = f"pbkdf2_sha256${PBKDF2_ITERATIONS}${'0' * 24}$no-password-hashes-to-this"


def _parse(stored: str) -> tuple[int, str, str] | None:
    """(iterations, salt, expected digest) of a hash we can check, else None."""
    algorithm, _, rest = stored.partition("$")
    iterations, _, rest = rest.partition("$")
    salt, _, expected = rest.partition("$")
    if algorithm != "pbkdf2_sha256" or not iterations.isdigit() or not salt or not expected:
        return None
    return int(iterations), salt, expected


def check_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`.  Always one PBKDF2 run, also when `stored` is
    None or unusable (then against a dummy): CPU-bound for ~0.2 s, so async code calls it in a
    thread."""
    parsed = _parse(stored or "")
    iterations, salt, expected = parsed or _parse(_DUMMY_HASH)  # type: ignore[misc]
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return hmac.compare_digest(base64.b64encode(digest).decode(), expected) and parsed is not None

