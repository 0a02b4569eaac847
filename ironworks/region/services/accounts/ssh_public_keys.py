"""Checking an OpenSSH public key (`type base64-blob [comment]`) without any crypto library.

The blob is the SSH wire encoding (RFC 4253 §6.6, RFC 5656, RFC 8709): a length-prefixed key
type that must repeat the line's type, then that type's fields.  Every field is read and
size-checked and nothing may follow them, so a truncated paste, a private key, a key with its
type changed by hand or random base64 is refused with the reason.
"""

from __future__ import annotations

import base64
import binascii
import re

from ironworks.common.errors import InvalidInput

MIN_RSA_BITS = 1024
ECDSA_CURVES = {"nistp256": 32, "nistp384": 48, "nistp521": 66}  # bytes per coordinate
SK_SUFFIX = "@openssh.com"
KEY_TYPES = (
    "ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
)


class _Blob:
    """Reads the length-prefixed fields of a key blob."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def string(self, what: str) -> bytes:
        if self.at + 4 > len(self.data):
            raise ValueError(f"the key data ends before its {what}")
        size = int.from_bytes(self.data[self.at:self.at + 4], "big")
        start, self.at = self.at + 4, self.at + 4 + size
        if self.at > len(self.data):
            raise ValueError(f"the key data ends inside its {what}")
        return self.data[start:self.at]

    def positive_int(self, what: str) -> int:
        raw = self.string(what)
        if not raw or raw[0] & 0x80:
            raise ValueError(f"its {what} is not a positive number")
        return int.from_bytes(raw, "big")

    def end(self) -> None:
        if self.at != len(self.data):
            raise ValueError("the key data has extra bytes after the key")


def _check_fields(key_type: str, blob: _Blob) -> None:
    base = key_type.removeprefix("sk-").removesuffix(SK_SUFFIX)
    if base == "ssh-rsa":
        exponent, modulus = blob.positive_int("exponent"), blob.positive_int("modulus")
        if exponent < 3 or exponent % 2 == 0:
            raise ValueError("its RSA exponent is not valid")
        if modulus.bit_length() < MIN_RSA_BITS:
            raise ValueError(f"an RSA key needs at least {MIN_RSA_BITS} bits, this one has "
                             f"{modulus.bit_length()}")
    elif base == "ssh-dss":
        for part in ("p", "q", "g", "y"):
            blob.positive_int(f"DSA {part}")
    elif base == "ssh-ed25519":
        if len(blob.string("Ed25519 key")) != 32:
            raise ValueError("an Ed25519 key is 32 bytes long")
    else:  # ecdsa-sha2-<curve>
        curve = base.removeprefix("ecdsa-sha2-")
        if blob.string("curve name") != curve.encode():
            raise ValueError(f"its curve is not {curve}")
        point = blob.string("public point")
        if len(point) != 1 + 2 * ECDSA_CURVES[curve] or point[0] != 4:
            raise ValueError(f"its public point is not an uncompressed {curve} point")
    if key_type.startswith("sk-"):
        blob.string("security key application")
    blob.end()


def check_public_key(text: str) -> str:
    """The key, normalised to one line (`type blob [comment]`), or InvalidInput on `key`."""
    try:
        return _checked(text)
    except ValueError as exc:
        raise InvalidInput.field("key", f"Invalid SSH public key: {exc}.") from None


def _checked(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("the key is empty")
    if "PRIVATE KEY" in text:
        raise ValueError("this is a private key; paste the public key (the .pub file) instead")
    if "\n" in text or "\r" in text:
        raise ValueError("give one key, on one line")
    parts = re.split(r"[ \t]+", text, maxsplit=2)
    if len(parts) < 2:
        raise ValueError("a key has a type, base64-encoded key data and an optional comment, "
                         "separated by spaces")
    key_type, encoded = parts[0], parts[1]
    if key_type not in KEY_TYPES:
        raise ValueError(f"key type '{key_type[:40]}' is not recognised; use one of {', '.join(KEY_TYPES)}")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key data is not valid base64") from None
    blob = _Blob(data)
    embedded = blob.string("type")
    if embedded != key_type.encode():
        raise ValueError(f"the key data is of type '{embedded[:40].decode('ascii', 'replace')}', "
                         f"not '{key_type}'")
    _check_fields(key_type, blob)
    return " ".join(parts)
