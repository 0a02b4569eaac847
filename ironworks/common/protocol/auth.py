"""HMAC-SHA256 challenge–response over the cluster's shared secret.

Each side sends a fresh nonce and proves the secret by a MAC over both nonces and its own role,
so a proof can neither be replayed on another connection nor reflected back to its sender."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 16  # the shared secret: 16 random bytes, written as 32 hex digits
SECRET_FILE_NAME = "secret"  # in the data directory of every region and rack, hex


def new_secret() -> str:
    return secrets.token_hex(SECRET_BYTES)


def new_nonce() -> str:
    return secrets.token_hex(16)


def parse_secret(text: str) -> bytes:
    """The secret's bytes from its hex form; ValueError with a plain reason otherwise."""
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise ValueError("the shared secret must be hexadecimal digits") from None
    if len(raw) < SECRET_BYTES:
        raise ValueError(f"the shared secret must be at least {SECRET_BYTES * 2} hexadecimal digits")
    return raw


def proof(secret: bytes, role: str, own_nonce: str, peer_nonce: str) -> str:
    message = f"ironworks-rack-channel\0{role}\0{own_nonce}\0{peer_nonce}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(secret: bytes, role: str, peer_nonce: str, own_nonce: str, claimed: object) -> bool:
    """Whether `claimed` is the peer's (role `role`) proof over its nonce and ours."""
    if not isinstance(claimed, str):
        return False
    return hmac.compare_digest(proof(secret, role, peer_nonce, own_nonce), claimed)
