"""Package repositories that deployed machines use.  The Ubuntu archives (`main_archive`,
`ports_archive`, created by the schema) are edited, never deleted; others are added freely.
`repository_problems` holds the rules; the rest reads and writes rows."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.errors import InvalidInput, Refused
from ironworks.db import tables as t
from ironworks.region.services.names import ensure_name_free, row_by_id

POCKETS = ("updates", "security", "backports")
DISABLEABLE_COMPONENTS = ("restricted", "universe", "multiverse")  # main cannot be turned off
ARCHES = ("amd64", "i386", "armhf", "arm64", "ppc64el", "s390x", "riscv64")
URL_SCHEMES = ("http", "https", "ftp")
MAX_NAME = 41


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "Enter a valid URL."
    if parts.scheme not in URL_SCHEMES or not parts.hostname:
        return f"Enter a valid URL ({', '.join(URL_SCHEMES)}), e.g. http://archive.ubuntu.com/ubuntu."
    return None


def repository_problems(merged: dict[str, Any], is_default: bool) -> dict[str, list[str]]:
    """Field errors of a repository as it would be saved (stored values with changes over)."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    name = merged["name"]
    if not name.strip():
        add("name", "This field cannot be blank.")
    elif len(name) > MAX_NAME:
        add("name", f"Ensure this value has at most {MAX_NAME} characters.")
    if (problem := _url_problem(merged["url"])) is not None:
        add("url", problem)
    for pocket in merged["disabled_pockets"]:
        if pocket not in POCKETS:
            add("disabled_pockets", f"'{pocket[:40]}' is not a valid Ubuntu archive pocket. "
                                    f"You can only disable {', '.join(POCKETS)}.")
    for component in merged["disabled_components"]:
        if component not in DISABLEABLE_COMPONENTS:
            add("disabled_components", f"'{component[:40]}' is not a valid Ubuntu archive component. "
                                       f"You can only disable {', '.join(DISABLEABLE_COMPONENTS)}.")
    for arch in merged["arches"]:
        if arch not in ARCHES:
            add("arches", f"'{arch[:40]}' is not a valid architecture. Known architectures: {', '.join(ARCHES)}.")
    if is_default and merged["components"]:
        add("components", "This is a default Ubuntu repository. Please update 'disabled_components' instead.")
    if not is_default and merged["disabled_components"]:
        add("disabled_components", "This is a custom repository. Please update 'components' instead.")
    return errors


async def list_repositories(conn: AsyncConnection) -> list[dict]:
    rows = await conn.execute(select(t.package_repository).order_by(t.package_repository.c.id))
    return [dict(r._mapping) for r in rows]


async def get_repository(conn: AsyncConnection, ref: str) -> dict:
    return await row_by_id(conn, t.package_repository, ref, "PackageRepository")


_EMPTY = {"name": "", "url": "", "distributions": [], "disabled_pockets": [], "disabled_components": [],
          "components": [], "arches": []}


async def create_repository(conn: AsyncConnection, fields: dict[str, Any]) -> dict:
    errors = repository_problems({**_EMPTY, **fields}, is_default=False)
    if errors:
        raise InvalidInput(errors)
    await ensure_name_free(conn, t.package_repository, fields["name"], "package repository")
    row = (await conn.execute(insert(t.package_repository).values(**fields)
                              .returning(t.package_repository))).one()
    return dict(row._mapping)


async def update_repository(conn: AsyncConnection, row: dict, fields: dict[str, Any]) -> dict:
    if row["default"] and "name" in fields and fields["name"] != row["name"]:
        raise InvalidInput.field("name", f"'{row['name']}' is a default Ubuntu repository: it keeps its name.")
    errors = repository_problems({**row, **fields}, is_default=row["default"])
    if errors:
        raise InvalidInput(errors)
    if "name" in fields:
        await ensure_name_free(conn, t.package_repository, fields["name"], "package repository", row["id"])
    if not fields:
        return row
    updated = (await conn.execute(update(t.package_repository).where(t.package_repository.c.id == row["id"])
                                  .values(**fields).returning(t.package_repository))).one()
    return dict(updated._mapping)


async def delete_repository(conn: AsyncConnection, row: dict) -> None:
    if row["default"]:
        raise Refused("This is a default Ubuntu repository. Please update it instead of deleting.")
    await conn.execute(delete(t.package_repository).where(t.package_repository.c.id == row["id"]))
