"""Machines (`machines/`, `machines/{system_id}/`), and the node forms controllers share.

Only what works is declared: no power or lifecycle operations and no `allocate` yet
(commissioning and deployment come later); machines are created in status New.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, BeforeValidator, Field
from sqlalchemy import Row
from starlette.responses import Response

from ironworks.common.errors import InvalidInput
from ironworks.common.nodetypes import MACHINE_TYPES
from ironworks.common.power_types import choices_text
from ironworks.region.api.body import Params
from ironworks.region.api.context import Call
from ironworks.region.api.dispatch import JSON_TYPE
from ironworks.region.api.fields import MAC, MAX_TEXT, Bool, Hostname, blank_none
from ironworks.region.api.operations import Form, Handler
from ironworks.region.api.render_node import render_nodes_json, render_one
from ironworks.region.services.nodes import edit as node_edit
from ironworks.region.services.nodes import query as nodes
from ironworks.region.services.nodes.architectures import KNOWN_ARCHITECTURES
from ironworks.region.services.nodes.tags import parse_tag_names

machines = Handler("MachinesHandler", "machines/", "Manage the collection of all the machines in the MAAS.")
machine = Handler("MachineHandler", "machines/{system_id}/", "Manage an individual machine.")


@machine.lookup
async def find_machine(call: Call) -> Row:
    return await nodes.get_node(call.conn, call.path["system_id"], MACHINE_TYPES, "Machine")

MAX_INT = 2**31 - 1
PREFIX = "power_parameters_"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("This field cannot be blank.")
    return value.strip()



def _json_object(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = orjson.loads(value) if value.strip() else {}
        except orjson.JSONDecodeError:
            raise ValueError("power_parameters must be a JSON object, e.g. "
                             '{"power_address": "10.0.0.9", "power_user": "admin"}.') from None
    if not isinstance(value, dict):
        raise ValueError("power_parameters must be a JSON object of parameter names and values.")
    return value


Ref = Annotated[str, AfterValidator(_not_blank)]  # a zone/pool/domain by name (or id)
PowerParameters = Annotated[dict[str, Any], BeforeValidator(_json_object)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]


class NodeRead(Form):
    hostname: list[str] = Field(default_factory=list, description="Only nodes with these hostnames (repeatable).")
    id: list[str] = Field(default_factory=list, description="Only nodes with these system_ids (repeatable).")
    mac_address: list[MAC] = Field(default_factory=list, description="Only nodes with these MAC addresses (repeatable).")
    zone: str | None = Field(default=None, description="Only nodes in this zone.")
    pool: str | None = Field(default=None, description="Only nodes in this resource pool.")
    domain: str | None = Field(default=None, description="Only nodes in this domain.")
    arch: list[str] = Field(default_factory=list, description="Only nodes with this architecture, "
                            "e.g. amd64 or amd64/generic (repeatable).")
    status: str | None = Field(default=None, description="Only nodes with this status, e.g. new, ready, deployed.")
    owner: str | None = Field(default=None, description="Only nodes owned by this user.")
    tags: list[str] = Field(default_factory=list, description="Only nodes with all these tags "
                            "(repeatable, or comma-separated).")
    not_tags: list[str] = Field(default_factory=list, description="Only nodes with none of these tags "
                                "(repeatable, or comma-separated).")

    def node_filter(self) -> nodes.NodeFilter:
        return nodes.NodeFilter(hostnames=self.hostname, system_ids=self.id, macs=self.mac_address,
                                zone=self.zone, pool=self.pool, domain=self.domain, archs=self.arch,
                                status=self.status, owner=self.owner, tags=parse_tag_names(self.tags),
                                not_tags=parse_tag_names(self.not_tags))


class PowerFields(Form):
    power_type: str | None = Field(default=None, description=f"The power type: one of {choices_text()}.")
    power_parameters: PowerParameters | None = Field(
        default=None, description="Power parameters: a JSON object (replaces the stored set), or one "
        "power_parameters_<name>=value argument per parameter (changes only those), e.g. "
        "power_parameters_power_address=10.0.0.9.")
    power_parameters_skip_check: Bool = Field(
        default=False, description="Store the power parameters without checking them against the power type.")

    @classmethod
    def extra_params(cls, params: Params) -> dict[str, Any]:
        """`power_parameters_<key>` fields (maascli, the UI) merged over a JSON `power_parameters`."""
        single = {k[len(PREFIX):]: v for k, v in params.items
                  if k.startswith(PREFIX) and k != "power_parameters_skip_check" and len(k) > len(PREFIX)}
        if not single:
            return {}
        try:
            base = _json_object(params.get("power_parameters", "{}"))
        except ValueError as exc:
            raise InvalidInput.field("power_parameters", str(exc)) from None
        return {"power_parameters": {**base, **single}}

    def edit(self, call: Call) -> node_edit.NodeEdit:
        """The supplied fields as a partial edit."""
        edit = node_edit.NodeEdit(
            **{name: getattr(self, name) for name in self.model_fields_set
               if name in node_edit.NodeEdit.__dataclass_fields__})
        edit.power_skip_check = self.power_parameters_skip_check
        edit.power_parameters_replace = "power_parameters" in call.params
        return edit


class MachineCreate(PowerFields):
    architecture: str = Field(description=f"The architecture, e.g. amd64/generic (a bare amd64 means "
                                          f"amd64/generic). Known: {', '.join(KNOWN_ARCHITECTURES)}.")
    mac_addresses: list[MAC] = Field(min_length=1, description="The MAC addresses of the machine's "
                                     "network interfaces (repeat for each, at least one).")
    hostname: Annotated[Hostname | None, BeforeValidator(blank_none)] = Field(
        default=None, description="A hostname; if not given, a name such as crisp-hare is generated.")
    domain: Ref | None = Field(default=None, description="The domain (name or id); the default domain if not given.")
    description: str | None = Field(default=None, max_length=MAX_TEXT, description="A description of the machine.")
    zone: Ref | None = Field(default=None, description="The zone; 'default' if not given.")
    pool: Ref | None = Field(default=None, description="The resource pool (name or id); 'default' if not given.")
    min_hwe_kernel: str | None = Field(default=None, description="The minimum kernel, e.g. hwe-22.04.")
    subarchitecture: str | None = Field(default=None, description="A sub-architecture (e.g. generic), "
                                        "when architecture names only the architecture (python-libmaas).")

    def full_architecture(self) -> str:
        arch = self.architecture.strip()
        if self.subarchitecture and self.subarchitecture.strip():
            sub = self.subarchitecture.strip()
            if "/" in arch and arch.split("/", 1)[1] != sub:
                raise InvalidInput.field(
                    "subarchitecture", f"'{arch}' already names sub-architecture '{arch.split('/', 1)[1]}', "
                                       f"not '{sub}'.")
            arch = f"{arch.split('/', 1)[0]}/{sub}"
        return arch


class MachineUpdate(PowerFields):
    hostname: Hostname | None = Field(default=None, description="The new hostname.")
    domain: Ref | None = Field(default=None, description="The domain (name or id).")
    zone: Ref | None = Field(default=None, description="The zone.")
    pool: Ref | None = Field(default=None, description="The resource pool (name or id).")
    description: str | None = Field(default=None, max_length=MAX_TEXT, description="The description.")
    architecture: str | None = Field(default=None, description="The architecture, e.g. amd64/generic.")
    cpu_count: Count | None = Field(default=None, description="The number of CPUs.")
    memory: Count | None = Field(default=None, description="The amount of memory, in MiB.")
    min_hwe_kernel: str | None = Field(default=None,
                                       description="The minimum kernel, e.g. hwe-22.04 (blank clears it).")


async def _render(call: Call, system_id: str) -> dict:
    return render_one(await nodes.read_node(call.conn, system_id, MACHINE_TYPES, "Machine"), "machines")


@machines.action("read", form=NodeRead)
async def list_machines(call: Call, form: NodeRead) -> Response:
    """List machines.

    Filters of the same name are alternatives; different filters must all match.
    """
    data = await nodes.fetch_nodes(call.conn, MACHINE_TYPES, form.node_filter())
    return Response(render_nodes_json(data, "machines"), media_type=JSON_TYPE)


@machines.action("create", form=MachineCreate, admin=True)
async def create_machine(call: Call, form: MachineCreate) -> dict:
    """Create a new machine.

    It is created in status New, with one physical interface per MAC address.
    """
    edit = form.edit(call)
    edit.architecture = form.full_architecture()
    system_id = await node_edit.create_machine(call.conn, edit, form.mac_addresses)
    return await _render(call, system_id)


@machine.action("read")
async def read_machine(call: Call) -> dict:
    """Read a machine."""
    return await _render(call, call.path["system_id"])


@machine.action("update", form=MachineUpdate, admin=True)
async def update_machine(call: Call, form: MachineUpdate) -> dict:
    """Update a machine.

    Only the given fields change.
    """
    system_id = call.path["system_id"]
    await node_edit.update_node(call.conn, system_id, MACHINE_TYPES, "Machine", form.edit(call))
    return await _render(call, system_id)


@machine.action("delete", admin=True)
async def delete_machine(call: Call) -> None:
    """Delete a machine."""
    await node_edit.delete_machine(call.conn, call.path["system_id"])
