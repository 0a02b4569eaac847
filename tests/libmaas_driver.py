"""Drive a running region with python-libmaas 0.6.8 and print what happened as JSON.

This script runs in the separate virtualenv `.venv-libmaas` (made by `make test`), never in the
project's own: libmaas installs a `maas` package and a `maas` console script of its own.

    LIBMAAS_URL=http://127.0.0.1:5240/MAAS/ LIBMAAS_APIKEY=ck:tk:ts \
    LIBMAAS_USERNAME=admin LIBMAAS_PASSWORD=secret  .venv-libmaas/bin/python tests/libmaas_driver.py

Every step is one public libmaas call (or a few that belong together).  A step that raises is
recorded as failed with the exception, and the steps that need its result are recorded as not
run; the script always prints one JSON document on stdout and exits 0 unless it could not even
import libmaas.  tests/test_libmaas.py asserts on the document.

The module imports nothing from libmaas at import time, so the test can import STEPS from it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
import warnings
from typing import Any, Callable

# (name, the names of the steps whose results it needs).  Order is execution order.
STEPS: list[tuple[str, tuple[str, ...]]] = [
    ("connect", ()),
    ("login", ()),
    ("users.whoami", ("connect",)),
    ("maas.set_name", ("connect",)),
    ("maas.get_name", ("maas.set_name",)),
    ("fabrics.list", ("connect",)),
    ("fabrics.get", ("connect",)),
    ("fabrics.get_default", ("connect",)),
    ("fabrics.create", ("connect",)),
    ("fabric.vlans", ("fabrics.create",)),
    ("vlans.create", ("fabrics.create",)),
    ("vlan.save", ("vlans.create",)),
    ("vlan.reread", ("vlan.save",)),
    ("subnets.create", ("vlans.create",)),
    ("subnets.list", ("connect",)),
    ("ip_ranges.create", ("subnets.create",)),
    ("ip_ranges.list", ("connect",)),
    ("machines.create", ("connect",)),
    ("machines.list", ("connect",)),
    ("machines.get", ("machines.create",)),
    ("tags.create", ("connect",)),
    ("machine.tags.add", ("tags.create", "machines.get")),
    ("tags.list", ("tags.create",)),
    ("machine.tags.remove", ("machine.tags.add",)),
    ("tag.delete", ("machine.tags.remove",)),
    ("sshkeys.create", ("connect",)),
    ("sshkeys.list", ("sshkeys.create",)),
    ("sshkey.delete", ("sshkeys.create",)),
    ("machine.interfaces", ("fabrics.create",)),
    ("machine.interfaces.create_vlan", ("machine.interfaces", "vlans.create")),
    ("interface.links.create", ("machine.interfaces.create_vlan", "subnets.create")),
    ("link.set_as_default_gateway", ("interface.links.create",)),
    ("link.delete", ("link.set_as_default_gateway",)),
    ("interface.delete", ("link.delete",)),
    ("ip_addresses.reserve", ("subnets.create",)),
    ("ip_addresses.release", ("ip_addresses.reserve",)),
    ("devices.create", ("connect",)),
    ("devices.list", ("devices.create",)),
    ("devices.get", ("devices.create",)),
    ("device.delete", ("devices.create",)),
    ("machine.delete", ("machines.get",)),
    ("rack_controllers.list", ("connect",)),
    ("region_controllers.list", ("connect",)),
]
STEP_NAMES = [name for name, _ in STEPS]

FABRIC_NAME = "libmaas-fabric"
VLAN_VID = 100
SUBNET_CIDR = "192.0.2.0/24"  # TEST-NET-1: stored only, never contacted
RANGE = ("192.0.2.100", "192.0.2.150")
MACHINE_MAC = "52:54:00:1b:00:01"
MAAS_NAME = "libmaas-checked"
TAG_NAME = "libmaas-tag"
DEVICE_MAC = "52:54:00:1b:00:03"
DEVICE_HOSTNAME = "libmaas-device"
# A well-formed Ed25519 public key (TEST key: the 32 key bytes are 0..31).
GATEWAY = "192.0.2.1"
STATIC_IP = "192.0.2.10"
RESERVED_IP = "192.0.2.20"
SSH_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f "
           "libmaas@test")


def fields(obj: Any, names: list[str], errors: list[str]) -> dict[str, Any]:
    """Read attributes through libmaas (which type-checks them on access); JSON-safe values."""
    out: dict[str, Any] = {}
    for name in names:
        try:
            out[name] = jsonable(getattr(obj, name))
        except Exception as exc:  # noqa: BLE001 - every failure is a finding
            errors.append(f"{type(obj).__name__}.{name}: {type(exc).__name__}: {exc}")
    return out


def jsonable(value: Any) -> Any:
    import enum

    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return repr(value)


NODE_FIELDS = ["system_id", "hostname", "fqdn", "node_type", "power_state", "ip_addresses"]
MACHINE_FIELDS = NODE_FIELDS + [
    "power_type", "architecture", "status", "status_name", "cpus", "memory", "locked",
    "netboot", "owner_data", "hwe_kernel", "min_hwe_kernel", "owner",
]
CONTROLLER_FIELDS = NODE_FIELDS + ["architecture", "cpus", "memory", "osystem", "distro_series"]
DEVICE_FIELDS = ["system_id", "hostname", "fqdn", "node_type", "ip_addresses"]
VLAN_FIELDS = ["id", "vid", "name", "mtu", "dhcp_on", "external_dhcp"]


class Steps:
    def __init__(self, url: str, apikey: str, username: str, password: str) -> None:
        self.url, self.apikey, self.username, self.password = url, apikey, username, password
        self.client: Any = None
        self.fabric: Any = None
        self.vlan: Any = None
        self.subnet: Any = None
        self.machine: Any = None
        self.tag: Any = None
        self.sshkey: Any = None
        # A Ready machine the test prepared (libmaas cannot commission one): its interfaces may change.
        self.ready_system_id = os.environ.get("LIBMAAS_READY_MACHINE", "")
        self.ready: Any = None
        self.vlan_iface: Any = None
        self.link: Any = None
        self.field_errors: list[str] = []

    # -- session --------------------------------------------------------------------------
    def connect(self) -> Any:
        from maas.client import connect

        self.client = connect(self.url, apikey=self.apikey)
        return {"origin": type(self.client).__name__}

    def login(self) -> Any:
        from maas.client import login

        client = login(self.url, username=self.username, password=self.password)
        me = client.users.whoami()
        return fields(me, ["username", "is_admin"], self.field_errors)

    def users_whoami(self) -> Any:
        me = self.client.users.whoami()
        return fields(me, ["username", "email", "is_admin"], self.field_errors)

    def maas_set_name(self) -> Any:
        self.client.maas.set_name(MAAS_NAME)
        return MAAS_NAME

    def maas_get_name(self) -> Any:
        return self.client.maas.get_name()

    # -- fabrics and VLANs ----------------------------------------------------------------
    def fabrics_list(self) -> Any:
        return [fields(f, ["id", "name"], self.field_errors) for f in self.client.fabrics.list()]

    def fabrics_get(self) -> Any:
        return fields(self.client.fabrics.get(0), ["id", "name"], self.field_errors)

    def fabrics_get_default(self) -> Any:
        fabric = self.client.fabrics.get_default()
        out = fields(fabric, ["id", "name"], self.field_errors)
        out["vlans"] = [fields(v, VLAN_FIELDS, self.field_errors) for v in fabric.vlans]
        return out

    def fabrics_create(self) -> Any:
        self.fabric = self.client.fabrics.create(name=FABRIC_NAME, description="made by libmaas")
        return fields(self.fabric, ["id", "name"], self.field_errors)

    def fabric_vlans(self) -> Any:
        fabric = self.client.fabrics.get(self.fabric.id)
        vlans = fabric.vlans
        return {
            "vlans": [fields(v, VLAN_FIELDS, self.field_errors) for v in vlans],
            "default_vid": vlans.get_default().vid if len(vlans) else None,
            "fabric_of_default": vlans.get_default().fabric.id if len(vlans) else None,
        }

    def vlans_create(self) -> Any:
        self.vlan = self.fabric.vlans.create(VLAN_VID, name="libmaas-vlan", mtu=1500)
        return fields(self.vlan, VLAN_FIELDS, self.field_errors)

    def vlan_save(self) -> Any:
        self.vlan.mtu = 9000
        self.vlan.save()
        return fields(self.vlan, VLAN_FIELDS, self.field_errors)

    def vlan_reread(self) -> Any:
        # Twice: nested in the fabric (Fabric.read), and on its own (Vlan.read, which has no
        # facade entry, so through the client's origin).
        fabric = self.client.fabrics.get(self.fabric.id)
        single = self.client._origin.Vlan.read(self.fabric.id, VLAN_VID)
        return {"in_fabric": [fields(v, VLAN_FIELDS, self.field_errors) for v in fabric.vlans],
                "vlan_read": fields(single, VLAN_FIELDS, self.field_errors)}

    # -- subnets and IP ranges ------------------------------------------------------------
    def subnets_create(self) -> Any:
        self.subnet = self.client.subnets.create(SUBNET_CIDR, self.vlan, name="libmaas-subnet")
        out = fields(self.subnet, ["id", "cidr", "name", "gateway_ip", "rdns_mode", "dns_servers",
                                   "managed"], self.field_errors)
        vlan = self.subnet.vlan
        out["vlan"] = fields(vlan, ["id", "vid"], self.field_errors)
        return out

    def subnets_list(self) -> Any:
        return [fields(s, ["id", "cidr", "name"], self.field_errors) for s in self.client.subnets.list()]

    def ip_ranges_create(self) -> Any:
        from maas.client.enum import IPRangeType

        rng = self.client.ip_ranges.create(*RANGE, type=IPRangeType.DYNAMIC, comment="libmaas")
        out = fields(rng, ["id", "start_ip", "end_ip", "type", "comment"], self.field_errors)
        out["subnet_id"] = rng.subnet.id
        return out

    def ip_ranges_list(self) -> Any:
        return [fields(r, ["id", "start_ip", "end_ip", "type"], self.field_errors)
                for r in self.client.ip_ranges.list()]

    # -- machines -------------------------------------------------------------------------
    def machines_create(self) -> Any:
        self.machine = self.client.machines.create(
            architecture="amd64/generic", mac_addresses=[MACHINE_MAC], power_type="manual")
        return fields(self.machine, MACHINE_FIELDS, self.field_errors)

    def machines_list(self) -> Any:
        return [fields(m, ["system_id", "hostname", "status"], self.field_errors)
                for m in self.client.machines.list()]

    def machines_get(self) -> Any:
        self.machine = self.client.machines.get(self.machine.system_id)
        return fields(self.machine, MACHINE_FIELDS, self.field_errors)

    def machine_delete(self) -> Any:
        system_id = self.machine.system_id
        self.machine.delete()
        return {"deleted": system_id,
                "remaining": [m.system_id for m in self.client.machines.list()]}

    # -- tags -------------------------------------------------------------------------------
    def tags_create(self) -> Any:
        self.tag = self.client.tags.create(TAG_NAME, comment="from libmaas", kernel_opts="quiet")
        return fields(self.tag, ["name", "comment", "definition", "kernel_opts"], self.field_errors)

    def machine_tags_add(self) -> Any:
        self.machine.tags.add(self.tag)
        machine = self.client.machines.get(self.machine.system_id)
        return {"tags": [t.name for t in machine.tags]}

    def tags_list(self) -> Any:
        return [fields(t, ["name", "comment", "kernel_opts"], self.field_errors) for t in self.client.tags.list()]

    def machine_tags_remove(self) -> Any:
        self.machine.tags.remove(self.tag)
        return {"tags": [t.name for t in self.client.machines.get(self.machine.system_id).tags]}

    def tag_delete(self) -> Any:
        self.tag.delete()
        return {"remaining": [t.name for t in self.client.tags.list()]}

    # -- SSH keys ---------------------------------------------------------------------------
    def sshkeys_create(self) -> Any:
        self.sshkey = self.client.ssh_keys.create(SSH_KEY)
        return fields(self.sshkey, ["id", "key", "keysource"], self.field_errors)

    def sshkeys_list(self) -> Any:
        return [fields(k, ["id", "key"], self.field_errors) for k in self.client.ssh_keys.list()]

    def sshkey_delete(self) -> Any:
        # libmaas 0.6.8's SSHKey object has no delete(); its SSHKey handler (from describe) does.
        type(self.sshkey)._handler.delete(id=self.sshkey.id)
        return {"remaining": [k.id for k in self.client.ssh_keys.list()]}

    # -- interfaces and IP addresses ------------------------------------------------------
    def _interfaces(self) -> list[dict[str, Any]]:
        machine = self.client.machines.get(self.ready_system_id)
        return [{"name": i.name, "type": i.type.value, "vlan_id": i.vlan.id if i.vlan else None,
                 "links": [{"mode": lk.mode.value, "ip_address": lk.ip_address} for lk in i.links]}
                for i in machine.interfaces]

    def machine_interfaces(self) -> Any:
        self.ready = self.client.machines.get(self.ready_system_id)
        eth0 = self.ready.interfaces.get_by_name("eth0")
        eth0.vlan = self.fabric.vlans.get_default()  # the fabric's untagged VLAN
        eth0.save()
        return {"interfaces": self._interfaces(), "eth0": fields(eth0, ["id", "name", "mac_address", "enabled",
                                                                        "effective_mtu"], self.field_errors)}

    def machine_interfaces_create_vlan(self) -> Any:
        from maas.client.enum import InterfaceType

        eth0 = self.ready.interfaces.get_by_name("eth0")
        self.vlan_iface = self.ready.interfaces.create(InterfaceType.VLAN, parent=eth0, vlan=self.vlan)
        out = fields(self.vlan_iface, ["id", "name", "mac_address"], self.field_errors)
        out.update(type=self.vlan_iface.type.value, parents=[p.name for p in self.vlan_iface.parents],
                   vlan_id=self.vlan_iface.vlan.id)
        return out

    def interface_links_create(self) -> Any:
        from maas.client.enum import LinkMode

        self.subnet.gateway_ip = GATEWAY
        self.subnet.save()
        created = self.vlan_iface.links.create(LinkMode.STATIC, subnet=self.subnet, ip_address=STATIC_IP)
        # libmaas 0.6.8 leaves the created link without its interface (set_as_default_gateway and
        # delete need it); the interface's own link set carries it.
        self.link = next(lk for lk in self.vlan_iface.links if lk.id == created.id)
        return {"mode": created.mode.value, "ip_address": created.ip_address, "subnet_id": created.subnet.id,
                "interfaces": self._interfaces()}

    def link_set_as_default_gateway(self) -> Any:
        self.link.set_as_default_gateway()
        machine = self.client.machines.get(self.ready_system_id)
        return {"link_id": self.link.id, "default_gateways": machine._data["default_gateways"]}

    def link_delete(self) -> Any:
        self.link.delete()
        machine = self.client.machines.get(self.ready_system_id)
        return {"links": [lk.id for lk in self.vlan_iface.links], "interfaces": self._interfaces(),
                "default_gateways": machine._data["default_gateways"]}

    def interface_delete(self) -> Any:
        self.vlan_iface.delete()
        return {"interfaces": [i["name"] for i in self._interfaces()]}

    # libmaas 0.6.8 has no IP-address objects: its bones handler (from describe) is what it offers.
    def ip_addresses_reserve(self) -> Any:
        handler = self.client._origin.session.IPAddresses
        reserved = handler.reserve(ip=RESERVED_IP, hostname="libmaas-printer")
        return {"reserved": {k: reserved[k] for k in ("ip", "hostname", "alloc_type_name")},
                "listed": [a["ip"] for a in handler.read()]}

    def ip_addresses_release(self) -> Any:
        handler = self.client._origin.session.IPAddresses
        handler.release(ip=RESERVED_IP)
        return {"listed": [a["ip"] for a in handler.read()]}

    # -- devices ----------------------------------------------------------------------------
    def devices_create(self) -> Any:
        self.device = self.client.devices.create([DEVICE_MAC], hostname=DEVICE_HOSTNAME, domain="maas")
        out = fields(self.device, DEVICE_FIELDS, self.field_errors)
        out["macs"] = [i.mac_address for i in self.device.interfaces]
        return out

    def devices_list(self) -> Any:
        return [fields(d, DEVICE_FIELDS, self.field_errors) for d in self.client.devices.list()]

    def devices_get(self) -> Any:
        return fields(self.client.devices.get(self.device.system_id), DEVICE_FIELDS, self.field_errors)

    def device_delete(self) -> Any:
        system_id = self.device.system_id
        self.device.delete()
        return {"deleted": system_id, "remaining": [d.system_id for d in self.client.devices.list()]}

    # -- controllers ----------------------------------------------------------------------
    def rack_controllers_list(self) -> Any:
        return [fields(r, CONTROLLER_FIELDS, self.field_errors)
                for r in self.client.rack_controllers.list()]

    def region_controllers_list(self) -> Any:
        return [fields(r, CONTROLLER_FIELDS, self.field_errors)
                for r in self.client.region_controllers.list()]


def run(steps: Steps) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, needs in STEPS:
        missing = [n for n in needs if not results.get(n, {}).get("ok")]
        if missing:
            results[name] = {"ok": False, "error": f"not run: needs {', '.join(missing)}"}
            continue
        method: Callable[[], Any] = getattr(steps, name.replace(".", "_"))
        before = len(steps.field_errors)
        try:
            value = method()
        except Exception as exc:  # noqa: BLE001 - every failure is a finding
            tb = traceback.extract_tb(exc.__traceback__)
            where = f" (at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})" if tb else ""
            error = f"{type(exc).__name__}: {exc}"[:600] + where
            if isinstance(exc, AttributeError) and str(exc).startswith("'NoneType' object has no attribute"):
                error += " -- libmaas bound no handler: describe/ lacks it"
            results[name] = {"ok": False, "error": error}
            continue
        results[name] = {"ok": True, "value": value,
                         "field_errors": steps.field_errors[before:]}
    return results


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name} {record.levelname}: {record.getMessage()}")


def main() -> int:
    env = os.environ
    try:
        import maas.client  # noqa: F401
    except ImportError as exc:
        print(f"libmaas_driver: cannot import maas.client: {exc}", file=sys.stderr)
        return 2
    collector = _Collect()
    logging.getLogger().addHandler(collector)
    # Under the default warning filters (what a user sees), note every warning that is shown,
    # and still show it: the test also checks that stderr stays empty.
    shown: list[str] = []
    original = warnings.showwarning

    def record(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        shown.append(f"{category.__name__}: {message} ({filename.rsplit('/', 1)[-1]}:{lineno})")
        original(message, category, filename, lineno, file, line)

    warnings.showwarning = record
    steps = Steps(env["LIBMAAS_URL"], env["LIBMAAS_APIKEY"],
                  env.get("LIBMAAS_USERNAME", "admin"), env.get("LIBMAAS_PASSWORD", "secret"))
    results = run(steps)
    from importlib.metadata import version

    document = {"results": results, "warnings": shown, "log": collector.records,
                "libmaas_version": version("python-libmaas")}
    print(json.dumps(document, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
