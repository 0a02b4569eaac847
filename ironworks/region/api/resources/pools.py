"""Resource pools (`resourcepools/`, and MAAS's singular `resourcepool/{id}/` for one pool)."""

from __future__ import annotations

from pydantic import Field

from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.fields import MAX_TEXT
from ironworks.region.api.operations import Form, Handler
from ironworks.region.services.nodes import pools as svc

pools = Handler("ResourcePoolsHandler", "resourcepools/", "Manage resource pools.")
pool = Handler("ResourcePoolHandler", "resourcepool/{id}/", "Manage a resource pool.")


@pool.lookup
async def find_pool(call: Call) -> dict:
    return await svc.get_pool(call.conn, call.path["id"])


class PoolCreate(Form):
    name: str = Field(min_length=1, max_length=256, description="The new resource pool's name.")
    description: str = Field(default="", max_length=MAX_TEXT, description="A brief description of the new resource pool.")


class PoolUpdate(Form):
    name: str | None = Field(default=None, min_length=1, max_length=256, description="The new name for the pool.")
    description: str | None = Field(default=None, max_length=MAX_TEXT, description="The new description for the pool.")


@pools.action("read")
async def list_pools(call: Call) -> list[dict]:
    """List resource pools."""
    return [render.pool(p) for p in await svc.list_pools(call.conn)]


@pools.action("create", form=PoolCreate, admin=True)
async def create_pool(call: Call, form: PoolCreate) -> dict:
    """Create a new resource pool."""
    return render.pool(await svc.create_pool(call.conn, form.name, form.description))


@pool.action("read")
async def read_pool(call: Call) -> dict:
    """Read a resource pool (by id or name)."""
    return render.pool(await find_pool(call))


@pool.action("update", form=PoolUpdate, admin=True)
async def update_pool(call: Call, form: PoolUpdate) -> dict:
    """Update a resource pool."""
    return render.pool(await svc.update_pool(call.conn, call.path["id"], form.name, form.description))


@pool.action("delete", admin=True)
async def delete_pool(call: Call) -> None:
    """Delete a resource pool.

    The default pool, and a pool that still contains machines, cannot be deleted.
    """
    await svc.delete_pool(call.conn, call.path["id"])
