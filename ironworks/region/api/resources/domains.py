"""DNS domains (`domains/`, `domains/{id}/`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.fields import Bool, blank_none
from ironworks.region.api.operations import Form, Handler
from ironworks.region.services.dns import domains as svc
from ironworks.region.services.dns.domains import MAX_TTL

domains = Handler("DomainsHandler", "domains/", "Manage domains.")
domain = Handler("DomainHandler", "domains/{id}/", "Manage a domain.")


@domain.lookup
async def find_domain(call: Call) -> dict:
    return await svc.get_domain(call.conn, call.path["id"])



# A TTL in seconds; blank means "use the default TTL".
TTL = Annotated[Annotated[int, Field(ge=1, le=MAX_TTL)] | None, BeforeValidator(blank_none)]


class DomainCreate(Form):
    name: str = Field(min_length=1, max_length=253, description="Name of the domain.")
    authoritative: Bool = Field(default=True, description="Whether MAAS is authoritative for this domain (true/false).")
    ttl: TTL = Field(default=None, description=f"The default TTL for this domain, in seconds (1-{MAX_TTL}).")


class DomainUpdate(Form):
    name: str | None = Field(default=None, min_length=1, max_length=253, description="Name of the domain.")
    authoritative: Bool | None = Field(default=None, description="Whether MAAS is authoritative for this domain.")
    ttl: TTL = Field(default=None, description="The default TTL for this domain; blank clears it.")


def _render(row: dict) -> dict:
    return render.domain(row)


@domains.action("read")
async def list_domains(call: Call) -> list[dict]:
    """List all domains."""
    return [_render(d) for d in await svc.list_domains(call.conn)]


@domains.action("create", form=DomainCreate, admin=True)
async def create_domain(call: Call, form: DomainCreate) -> dict:
    """Create a domain."""
    return _render(await svc.create_domain(call.conn, form.name, form.authoritative, form.ttl))


@domain.action("read")
async def read_domain(call: Call) -> dict:
    """Read a domain (by id or name)."""
    return _render(await find_domain(call))


@domain.action("update", form=DomainUpdate, admin=True)
async def update_domain(call: Call, form: DomainUpdate) -> dict:
    """Update a domain."""
    changes = {n: getattr(form, n) for n in ("name", "authoritative")
               if form.supplied(n) and getattr(form, n) is not None}
    if form.supplied("ttl"):
        changes["ttl"] = form.ttl  # blank clears it
    return _render(await svc.update_domain(call.conn, call.path["id"], changes))


@domain.action("set_default", admin=True)
async def set_default(call: Call) -> dict:
    """Set this domain as the default domain (new nodes are placed in it)."""
    return _render(await svc.set_default(call.conn, call.path["id"]))


@domain.action("delete", admin=True)
async def delete_domain(call: Call) -> None:
    """Delete a domain.

    The default domain, and a domain that nodes use, cannot be deleted.
    """
    await svc.delete_domain(call.conn, call.path["id"])
