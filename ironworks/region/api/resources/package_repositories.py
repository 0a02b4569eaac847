"""Package repositories (`package-repositories/`, `package-repositories/{id}/`) for deployments."""

from __future__ import annotations

import re
from typing import Annotated, Any, Mapping

from pydantic import BeforeValidator, Field

from ironworks.region.api.context import Call
from ironworks.region.api.fields import MAX_TEXT, Bool
from ironworks.region.api.operations import API_PREFIX, Form, Handler
from ironworks.region.services.packages import repositories as svc

package_repositories = Handler("PackageRepositoriesHandler", "package-repositories/",
                               "Manage the collection of all package repositories in MAAS.")
package_repository = Handler("PackageRepositoryHandler", "package-repositories/{id}/",
                             "Manage an individual package repository.")

LIST_FIELDS = ("distributions", "disabled_pockets", "disabled_components", "components", "arches")


def render_repository(row: Mapping[str, Any]) -> dict:
    return {"id": row["id"], "name": row["name"], "url": row["url"],
            **{name: list(row[name]) for name in LIST_FIELDS},
            "disable_sources": row["disable_sources"], "key": row["key"], "enabled": row["enabled"],
            "resource_uri": f"{API_PREFIX}package-repositories/{row['id']}/"}


def _words(value: Any) -> list[str]:
    """Repeated values, or one comma/space separated value (as the CLI sends a list)."""
    values = value if isinstance(value, list) else [value]
    return [w for v in values for w in re.split(r"[,\s]+", str(v)) if w]


Words = Annotated[list[str], BeforeValidator(_words)]


@package_repository.lookup
async def find_repository(call: Call) -> dict:
    return await svc.get_repository(call.conn, call.path["id"])


class RepositoryFields(Form):
    distributions: Words | None = Field(default=None, description="Distributions to include, e.g. jammy "
                                                                  "(repeatable, or comma-separated).")
    disabled_pockets: Words | None = Field(default=None, description="Pockets to leave out: updates, "
                                                                      "security, backports.")
    disabled_components: Words | None = Field(default=None, description="Components of an Ubuntu archive to "
                                                                        "leave out: restricted, universe, multiverse.")
    components: Words | None = Field(default=None, description="Components of a custom repository, e.g. main.")
    arches: Words | None = Field(default=None, description="Architectures it serves, e.g. amd64.")
    key: str | None = Field(default=None, max_length=MAX_TEXT, description="The repository's GPG public key (armoured).")
    disable_sources: Bool | None = Field(default=None, description="Whether to leave out deb-src lines.")
    enabled: Bool | None = Field(default=None, description="Whether deployments use it.")

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}


class RepositoryCreate(RepositoryFields):
    name: str = Field(description="The name of the repository.")
    url: str = Field(max_length=MAX_TEXT, description="The repository's URL, e.g. http://ppa.launchpad.net/maas/stable/ubuntu.")


class RepositoryUpdate(RepositoryFields):
    name: str | None = Field(default=None, description="The name of the repository.")
    url: str | None = Field(default=None, max_length=MAX_TEXT, description="The repository's URL.")


@package_repositories.action("read")
async def list_repositories(call: Call) -> list[dict]:
    """List all package repositories."""
    return [render_repository(r) for r in await svc.list_repositories(call.conn)]


@package_repositories.action("create", form=RepositoryCreate, admin=True)
async def create_repository(call: Call, form: RepositoryCreate) -> dict:
    """Create a package repository."""
    return render_repository(await svc.create_repository(call.conn, form.given()))


@package_repository.action("read")
async def read_repository(call: Call) -> dict:
    """Read a package repository."""
    return render_repository(await find_repository(call))


@package_repository.action("update", form=RepositoryUpdate, admin=True)
async def update_repository(call: Call, form: RepositoryUpdate) -> dict:
    """Update a package repository; only the fields given change."""
    return render_repository(await svc.update_repository(call.conn, await find_repository(call), form.given()))


@package_repository.action("delete", admin=True)
async def delete_repository(call: Call) -> None:
    """Delete a package repository.

    The Ubuntu archives (main_archive, ports_archive) cannot be deleted, only edited.
    """
    await svc.delete_repository(call.conn, await find_repository(call))
