"""Tags (`tags/`, `tags/{name}/`): create and edit them, tag nodes, list a tag's nodes."""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import Field
from starlette.responses import Response

from ironworks.common.nodetypes import MACHINE_TYPES, RACK_TYPES, REGION_TYPES, NodeType
from ironworks.region.api.context import Call
from ironworks.region.api.dispatch import JSON_TYPE
from ironworks.region.api.fields import MAX_TEXT
from ironworks.region.api.operations import API_PREFIX, Form, Handler
from ironworks.region.api.render_node import render_nodes_json
from ironworks.region.services.nodes import query as nodes
from ironworks.region.services.nodes import tags as svc

tags = Handler("TagsHandler", "tags/", "Manage all tags known to MAAS.")
tag = Handler("TagHandler", "tags/{name}/", "Manage a tag: its details and the nodes it is on.")

ALL_TYPES = tuple(NodeType)
COLLECTIONS = {NodeType.MACHINE: "machines", NodeType.DEVICE: "devices",
               NodeType.RACK_CONTROLLER: "rackcontrollers", NodeType.REGION_CONTROLLER: "regioncontrollers",
               NodeType.REGION_AND_RACK_CONTROLLER: "regioncontrollers"}


def render_tag(row: Mapping[str, Any]) -> dict:
    return {"name": row["name"], "definition": row["definition"], "comment": row["comment"],
            "kernel_opts": row["kernel_opts"], "resource_uri": f"{API_PREFIX}tags/{row['name']}/"}


@tag.lookup
async def find_tag(call: Call) -> dict:
    return await svc.get_tag(call.conn, call.path["name"])


class TagCreate(Form):
    name: str = Field(description="The name of the tag: letters, digits, underscores and hyphens.")
    comment: str = Field(default="", max_length=MAX_TEXT, description="A description of what the tag is for.")
    definition: str = Field(default="", max_length=MAX_TEXT, description="An XPath over a node's hardware details "
                                                    "(stored; nodes are tagged by hand for now).")
    kernel_opts: str | None = Field(default=None, max_length=MAX_TEXT, description="Kernel options for nodes with this tag.")


class TagUpdate(Form):
    name: str | None = Field(default=None, description="The new name of the tag.")
    comment: str | None = Field(default=None, max_length=MAX_TEXT, description="A description of what the tag is for.")
    definition: str | None = Field(default=None, max_length=MAX_TEXT, description="An XPath over a node's hardware details.")
    kernel_opts: str | None = Field(default=None, max_length=MAX_TEXT, description="Kernel options for nodes with this tag.")


class TagNodes(Form):
    add: list[str] = Field(default_factory=list, description="System ids of nodes to tag (repeatable).")
    remove: list[str] = Field(default_factory=list, description="System ids of nodes to untag (repeatable).")
    definition: str | None = Field(default=None, max_length=MAX_TEXT, description="If given, it must be the tag's current "
                                                              "definition (a guard against a changed tag).")


@tags.action("read")
async def list_tags(call: Call) -> list[dict]:
    """List all tags."""
    return [render_tag(r) for r in await svc.list_tags(call.conn)]


@tags.action("create", form=TagCreate, admin=True)
async def create_tag(call: Call, form: TagCreate) -> dict:
    """Create a new tag."""
    return render_tag(await svc.create_tag(call.conn, form.model_dump()))


@tag.action("read")
async def read_tag(call: Call) -> dict:
    """Read a tag."""
    return render_tag(await find_tag(call))


@tag.action("update", form=TagUpdate, admin=True)
async def update_tag(call: Call, form: TagUpdate) -> dict:
    """Update a tag; only the fields given change."""
    return render_tag(await svc.update_tag(call.conn, await find_tag(call), form.model_dump(exclude_unset=True)))


@tag.action("delete", admin=True)
async def delete_tag(call: Call) -> None:
    """Delete a tag; the nodes it was on lose it."""
    await svc.delete_tag(call.conn, await find_tag(call))


@tag.action("update_nodes", form=TagNodes, admin=True)
async def update_tag_nodes(call: Call, form: TagNodes) -> dict:
    """Add or remove the tag on nodes.

    Answers how many nodes were added and removed; system ids that name no node are skipped.
    """
    added, removed = await svc.update_nodes(call.conn, await find_tag(call), form.add, form.remove,
                                            form.definition)
    return {"added": added, "removed": removed}


async def _tagged(call: Call, types: tuple) -> Response:
    row = await find_tag(call)
    data = await nodes.fetch_nodes(call.conn, types, nodes.NodeFilter(tags=[row["name"]]))
    return Response(render_nodes_json(data, lambda n: COLLECTIONS[n[nodes.NODE.node_type]]),
                    media_type=JSON_TYPE)


@tag.action("nodes", method="GET")
async def tag_nodes(call: Call) -> Response:
    """List the nodes (of every kind) with this tag."""
    return await _tagged(call, ALL_TYPES)


@tag.action("machines", method="GET")
async def tag_machines(call: Call) -> Response:
    """List the machines with this tag."""
    return await _tagged(call, MACHINE_TYPES)


@tag.action("rack_controllers", method="GET")
async def tag_racks(call: Call) -> Response:
    """List the rack controllers with this tag."""
    return await _tagged(call, RACK_TYPES)


@tag.action("region_controllers", method="GET")
async def tag_regions(call: Call) -> Response:
    """List the region controllers with this tag."""
    return await _tagged(call, REGION_TYPES)
