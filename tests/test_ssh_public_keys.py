"""The OpenSSH public key check, on keys ssh-keygen makes and on the ways a paste goes wrong."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from ironworks.common.errors import InvalidInput
from ironworks.region.services.accounts.ssh_public_keys import check_public_key

KEYGEN = shutil.which("ssh-keygen")


def _key(tmp_path: Path, kind: str, bits: str | None = None) -> str:
    assert KEYGEN, "ssh-keygen is missing: make test installs it (openssh-client)"
    path = tmp_path / kind
    subprocess.run([KEYGEN, "-q", "-t", kind, *(["-b", bits] if bits else []), "-N", "", "-C", "me@host",
                    "-f", str(path)], check=True)
    return (tmp_path / f"{kind}.pub").read_text()


def _refusal(text: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        check_public_key(text)
    return caught.value.errors["key"][0]


@pytest.mark.parametrize("kind", ["rsa", "ed25519", "ecdsa"])
def test_keys_from_ssh_keygen_are_accepted_on_one_line(tmp_path: Path, kind: str) -> None:
    text = _key(tmp_path, kind)
    assert check_public_key("  " + text.replace(" ", "   ") + "\n") == text.strip()


def test_broken_keys_are_refused_with_the_reason(tmp_path: Path) -> None:
    key_type, blob, _ = _key(tmp_path, "ed25519").split(" ", 2)
    raw = base64.b64decode(blob)
    assert "empty" in _refusal("")
    assert "space" in _refusal(blob)
    assert "not recognised" in _refusal(f"ssh-foo {blob}")
    assert "not valid base64" in _refusal(f"{key_type} {blob[:-3]}!!!")
    assert "ends" in _refusal(f"{key_type} {base64.b64encode(raw[:-5]).decode()}")
    assert "extra bytes" in _refusal(f"{key_type} {base64.b64encode(raw + b'xx').decode()}")
    assert "of type 'ssh-ed25519', not 'ssh-rsa'" in _refusal(f"ssh-rsa {blob}")
    assert "private key" in _refusal("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----")
    assert "one line" in _refusal(f"{key_type} {blob}\n{key_type} {blob}")
    assert _refusal("x").startswith("Invalid SSH public key: ")


def test_a_short_rsa_key_is_refused(tmp_path: Path) -> None:
    key_type, blob, _ = _key(tmp_path, "rsa", "2048").split(" ", 2)
    raw = base64.b64decode(blob)
    # Rebuild it with a 512-bit modulus: still well-formed, too weak.
    small = (raw[:4 + 7] + raw[11:11 + 4 + 3] + (65).to_bytes(4, "big") + b"\x00" + b"\xff" * 64)
    assert "at least 1024 bits" in _refusal(f"{key_type} {base64.b64encode(small).decode()}")
