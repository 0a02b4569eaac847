"""IP addresses (`ipaddresses/`): addresses users reserve for use outside MAAS, which MAAS then
never hands to a node, and (administrators) every address MAAS holds."""

from __future__ import annotations

from pydantic import Field

from ironworks.db import tables as t
from ironworks.region.api import render
from ironworks.region.api.context import Call
from ironworks.region.api.fields import MAC, Bool, Clearable, Hostname, IPAddress
from ironworks.region.api.operations import API_PREFIX, Form, Handler
from ironworks.region.services.networking import addresses as svc

ipaddresses = Handler("IPAddressesHandler", "ipaddresses/", "Manage IP addresses allocated by MAAS.")


class IPAddressRead(Form):
    ip: IPAddress | None = Field(default=None, description="Only this IP address.")
    all: Bool = Field(default=False, description="(Administrators) every address MAAS holds, not "
                                                 "only your own reservations.")
    owner: str | None = Field(default=None, description="(Administrators) only addresses this user reserved.")


class IPAddressReserve(Form):
    subnet: Clearable = Field(default=None, description="Subnet (id, CIDR or name) to reserve an "
                                                        "address in; by default the one containing ip.")
    ip: IPAddress | None = Field(default=None, description="The address to reserve; by default the "
                                                           "first free one of the subnet.")
    ip_address: IPAddress | None = Field(default=None, description="(Deprecated) The same as ip.")
    hostname: Hostname | None = Field(default=None, description="The hostname DNS gives the address.")
    mac: MAC | None = Field(default=None, description="The MAC address DHCP gives the address to.")


class IPAddressRelease(Form):
    ip: IPAddress = Field(description="The IP address to release.")
    force: Bool = Field(default=False, description="(Administrators) release it even if it is not "
                                                   "your reservation, e.g. a node's static address.")


def _render(row: dict, subnets: dict[int, dict], vlans: dict[int, dict]) -> dict:
    number, name = svc.ALLOC_TYPES[row["alloc_type"]]
    owner = None if row["username"] is None else render.user(row)
    interfaces = [] if row["interface_id"] is None else [{
        "id": row["interface_id"], "name": row["interface_name"], "type": row["interface_type"],
        "mac_address": row["interface_mac"], "system_id": row["system_id"],
        "resource_uri": f"{API_PREFIX}nodes/{row['system_id']}/interfaces/{row['interface_id']}/"}]
    subnet = subnets.get(row["subnet_id"])
    return {"alloc_type": number, "alloc_type_name": name, "created": row["created"].isoformat(),
            "ip": row["ip"], "owner": owner, "user": owner, "hostname": row["hostname"] or None,
            "interface_set": interfaces, "subnet": render.subnet_in(subnet, vlans) if subnet else None,
            "resource_uri": f"{API_PREFIX}ipaddresses/"}


async def _listed(call: Call, where) -> list[dict]:  # noqa: ANN001
    rows, subnets, vlans = await svc.list_addresses(call.conn, where)
    return [_render(r, subnets, vlans) for r in rows]


@ipaddresses.action("read", form=IPAddressRead)
async def list_addresses(call: Call, form: IPAddressRead) -> list[dict]:
    """List IP addresses: by default your own reservations.

    Administrators see every address MAAS holds with all=true, or one user's with owner=.
    """
    if form.all or form.owner is not None:
        call.require_admin()
    owner_id = await svc.user_id_of(call.conn, form.owner) if form.owner is not None else None
    where = svc.visible(call.user.id, everything=form.all or owner_id is not None, ip=form.ip, owner_id=owner_id)
    return await _listed(call, where)


@ipaddresses.action("reserve", form=IPAddressReserve)
async def reserve(call: Call, form: IPAddressReserve) -> dict:
    """Reserve an IP address for use outside MAAS.

    MAAS will not give it to any node until you release it.  Give a subnet (the first free
    address outside its dynamic and reserved ranges is taken), an ip, or both.  With mac,
    DHCP will hand the address to that MAC; with hostname, DNS will name it.
    Answers 503 when the subnet has no free address left.
    """
    new_id = await svc.reserve(call.conn, call.user.id, svc.Reservation(
        subnet=form.subnet, ip=form.ip or form.ip_address, mac=form.mac, hostname=form.hostname or ""))
    return (await _listed(call, t.ip_address.c.id == new_id))[0]


@ipaddresses.action("release", form=IPAddressRelease)
async def release(call: Call, form: IPAddressRelease) -> None:
    """Release a reserved IP address.

    Administrators may release any held address with force=true.
    """
    if form.force:
        call.require_admin()
    await svc.release(call.conn, call.user.id, form.ip, force=form.force)
