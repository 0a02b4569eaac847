"""Nodes of every type (`nodes/`, `nodes/{system_id}/`): machines, devices and controllers,
each rendered as its own collection renders it, with `node_type` and `node_type_name`."""

from __future__ import annotations

from sqlalchemy import Row
from starlette.responses import Response

from ironworks.common.nodetypes import NodeType
from ironworks.region.api.context import Call
from ironworks.region.api.dispatch import JSON_TYPE
from ironworks.region.api.operations import Handler
from ironworks.region.api.render_device import render_any, render_any_json
from ironworks.region.api.resources.devices import check_may_use, visible_filter
from ironworks.region.api.resources.machines import NodeRead
from ironworks.region.services.nodes import deletion, details
from ironworks.region.services.nodes import query as nodes

all_nodes = Handler("NodesHandler", "nodes/", "Manage the collection of all the nodes in the MAAS.")
node = Handler("NodeHandler", "nodes/{system_id}/", "Manage an individual node.")

ALL_TYPES = tuple(NodeType)
BSON_TYPE = "application/bson"


@node.lookup
async def find_node(call: Call) -> Row:
    return await nodes.get_node(call.conn, call.path["system_id"], ALL_TYPES, "Node")


async def _visible_node(call: Call) -> Row:
    """The node, if this user may see it: another user's device is not theirs to see."""
    row = await find_node(call)
    if row.node_type == NodeType.DEVICE:
        check_may_use(call, row)
    return row


@all_nodes.action("read", form=NodeRead)
async def list_nodes(call: Call, form: NodeRead) -> Response:
    """List nodes of every type (filters as for machines).

    A non-administrator does not see other users' devices or machines.
    """
    data = await nodes.fetch_nodes(call.conn, ALL_TYPES, visible_filter(call, form), services=True,
                                   extra=nodes.DEVICE_COLUMNS)
    return Response(render_any_json(data), media_type=JSON_TYPE)


@node.action("read")
async def read_node(call: Call) -> dict:
    """Read a node."""
    row = await _visible_node(call)
    data = await nodes.read_node(call.conn, row.system_id, ALL_TYPES, "Node", services=True,
                                 extra=nodes.DEVICE_COLUMNS)
    return render_any(data)[0]


@node.action("delete")
async def delete_node(call: Call) -> None:
    """Delete a node.

    Each type by its own rules: a rack controller's DHCP roles move to another rack controller
    (refused if a VLAN would lose DHCP), a running region controller cannot be deleted, and a
    user may delete only their own devices; everything else needs an administrator.
    """
    row = await find_node(call)
    if row.node_type == NodeType.DEVICE:
        check_may_use(call, row)
    else:
        call.require_admin()
    await deletion.delete_node(call.conn, row.system_id)


@node.action("details", method="GET")
async def node_details(call: Call) -> Response:
    """Obtain the node's probed details.

    A BSON document: `lshw` and `lldp`, each the XML commissioning found, or null when the node
    has never been commissioned.
    """
    row = await _visible_node(call)
    found = await details.probed_details(call.conn, row.system_id)
    return Response(details.encode_bson(found), media_type=BSON_TYPE)
