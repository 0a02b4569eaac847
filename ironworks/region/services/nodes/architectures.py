"""Architectures a node may declare, as MAAS spells them (`arch/subarch`).

MAAS derives the list from its boot images; until ironworks imports images it uses this fixed
list of MAAS's architectures.  A bare `arch` means `arch/generic`, as in MAAS.
"""

from __future__ import annotations

from ironworks.common.errors import InvalidInput

KNOWN_ARCHITECTURES: tuple[str, ...] = (
    "amd64/generic", "amd64/hwe-20.04", "amd64/hwe-22.04", "amd64/hwe-24.04",
    "arm64/generic", "arm64/xgene-uboot", "arm64/xgene-uboot-mustang",
    "armhf/generic", "armhf/highbank", "armhf/keystone",
    "i386/generic",
    "ppc64el/generic",
    "riscv64/generic",
    "s390x/generic",
)


def normalise_architecture(value: str, field: str = "architecture") -> str:
    text = value.strip().lower()
    if text and "/" not in text:
        text += "/generic"
    if text in KNOWN_ARCHITECTURES:
        return text
    raise InvalidInput.field(
        field, f"'{value}' is not a valid architecture. Known architectures: "
               f"{', '.join(KNOWN_ARCHITECTURES)} (a bare name such as 'amd64' means 'amd64/generic').")
