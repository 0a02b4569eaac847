"""python-libmaas 0.6.8 against a real region.

libmaas runs in its own virtualenv, `.venv-libmaas` (it installs a `maas` package and a `maas`
console script, which must not meet ours): `make test` creates it.  tests/libmaas_driver.py makes
the calls there, once per module, and prints a JSON document; each test below asserts on one
step of it, so a run shows exactly which libmaas calls work.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from ironworks.common import identity
from ironworks.lab.harness import Region
from tests import libmaas_driver as driver

ROOT = Path(__file__).resolve().parent.parent
LIBMAAS_VENV = Path(os.environ.get("IRONWORKS_LIBMAAS_VENV", ROOT / ".venv-libmaas"))
LIBMAAS_PYTHON = LIBMAAS_VENV / "bin" / "python"
DRIVER = Path(driver.__file__).resolve()
EXPECTED_VERSION = "0.6.8"
TIMEOUT_S = 300


READY_MAC = "52:54:00:1b:00:02"


def _ready_machine(region: Region) -> str:
    """A Ready machine whose interfaces libmaas may edit (nothing commissions one yet)."""
    created = region.client().post("machines/", {"architecture": "amd64/generic", "power_type": "manual",
                                                 "mac_addresses": READY_MAC, "hostname": "libmaas-ready"})
    assert created.status_code == 200, created.text
    system_id = created.json()["system_id"]
    region.sql("UPDATE node SET status = 4 WHERE system_id = %s", (system_id,))
    return system_id


@pytest.fixture(scope="module")
def libmaas(region: Region) -> dict[str, Any]:
    """The driver's document, or {"problem": why there is none}."""
    if not LIBMAAS_PYTHON.exists():
        return {"problem": f"{LIBMAAS_VENV} does not exist: run `make test` (it creates the "
                           f"python-libmaas {EXPECTED_VERSION} virtualenv)"}
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONWARNINGS")}
    env.update(LIBMAAS_URL=region.url, LIBMAAS_APIKEY=region.apikey,
               LIBMAAS_USERNAME="admin", LIBMAAS_PASSWORD="secret", LIBMAAS_READY_MACHINE=_ready_machine(region))
    try:
        proc = subprocess.run([str(LIBMAAS_PYTHON), str(DRIVER)], env=env, capture_output=True,
                              text=True, timeout=TIMEOUT_S, cwd="/")
    except subprocess.TimeoutExpired:
        return {"problem": f"the libmaas driver did not finish in {TIMEOUT_S}s"}
    if proc.returncode != 0:
        return {"problem": f"the libmaas driver failed ({proc.returncode}): {proc.stderr[-2000:]}"}
    try:
        document = json.loads(proc.stdout)
    except ValueError:
        return {"problem": f"the libmaas driver printed no JSON: {proc.stdout[-1000:]!r}"}
    document["stderr"] = proc.stderr
    return document


def _document(libmaas: dict[str, Any]) -> dict[str, Any]:
    if "problem" in libmaas:
        pytest.fail(libmaas["problem"], pytrace=False)
    return libmaas


def _step(libmaas: dict[str, Any], name: str) -> Any:
    result = _document(libmaas)["results"][name]
    if not result["ok"]:
        pytest.fail(f"libmaas {name}: {result['error']}", pytrace=False)
    assert not result["field_errors"], f"libmaas {name}: fields libmaas rejects: {result['field_errors']}"
    return result["value"]


def _value(doc: dict[str, Any], name: str) -> Any:
    """The value of an earlier step that this step's check refers to."""
    result = doc["results"][name]
    if not result["ok"]:
        pytest.fail(f"cannot check: {name} failed ({result['error']})", pytrace=False)
    return result["value"]


def _by(items: list[dict[str, Any]], key: str, value: Any) -> dict[str, Any]:
    found = [item for item in items if item.get(key) == value]
    assert found, f"no item with {key}={value!r} in {items}"
    return found[0]


# What each step's value must show, beyond "it succeeded and every field read passed
# libmaas's own type checks".  `doc` is the whole document, `region` the running region.
Check = Callable[[Any, dict[str, Any], Region], None]


def _login(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value == {"username": "admin", "is_admin": True}


def _whoami(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["username"] == "admin" and value["is_admin"] is True


def _get_name(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value == driver.MAAS_NAME


def _fabrics_list(value: Any, doc: dict[str, Any], region: Region) -> None:
    _by(value, "id", 0)


def _fabric_zero(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["id"] == 0


def _default_fabric(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["id"] == 0
    _by(value["vlans"], "vid", 0)


def _fabric_created(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["name"] == driver.FABRIC_NAME and value["id"] != 0


def _fabric_vlans(value: Any, doc: dict[str, Any], region: Region) -> None:
    # A new fabric comes with its untagged VLAN (vid 0), which is its default.
    _by(value["vlans"], "vid", 0)
    assert value["default_vid"] == 0
    assert value["fabric_of_default"] == _value(doc, "fabrics.create")["id"]


def _vlan_created(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["vid"] == driver.VLAN_VID and value["mtu"] == 1500 and value["dhcp_on"] is False


def _vlan_saved(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["vid"] == driver.VLAN_VID and value["mtu"] == 9000


def _vlan_reread(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert _by(value["in_fabric"], "vid", driver.VLAN_VID)["mtu"] == 9000
    assert value["vlan_read"]["vid"] == driver.VLAN_VID and value["vlan_read"]["mtu"] == 9000


def _subnet_created(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["cidr"] == driver.SUBNET_CIDR
    assert value["vlan"]["id"] == _value(doc, "vlans.create")["id"]
    assert value["vlan"]["vid"] == driver.VLAN_VID


def _subnets_list(value: Any, doc: dict[str, Any], region: Region) -> None:
    _by(value, "cidr", driver.SUBNET_CIDR)


def _range_created(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert (value["start_ip"], value["end_ip"], value["type"]) == (*driver.RANGE, "dynamic")
    assert value["subnet_id"] == _value(doc, "subnets.create")["id"]


def _ranges_list(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert _by(value, "start_ip", driver.RANGE[0])["type"] == "dynamic"


def _machine_created(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["power_type"] == "manual"
    assert value["architecture"] == "amd64/generic"
    assert value["node_type"] == 0
    assert isinstance(value["owner_data"], dict)


def _machines_list(value: Any, doc: dict[str, Any], region: Region) -> None:
    _by(value, "system_id", _value(doc, "machines.create")["system_id"])


def _machine_get(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["system_id"] == _value(doc, "machines.create")["system_id"]


def _machine_deleted(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["deleted"] not in value["remaining"]


def _racks(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert isinstance(value, list)  # no rack has registered with this region


def _regions(value: Any, doc: dict[str, Any], region: Region) -> None:
    system_id = identity.read(region.home / "data")
    assert system_id, "the region wrote no maas_id"
    this = _by(value, "system_id", system_id)
    assert this["node_type"] in (3, 4)  # region controller, or region and rack


def _tag_created(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value == {"name": driver.TAG_NAME, "comment": "from libmaas", "definition": "", "kernel_opts": "quiet"}


def _tag_added(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value == {"tags": [driver.TAG_NAME]}


def _tags_list(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert _by(value, "name", driver.TAG_NAME)["kernel_opts"] == "quiet"


def _tag_removed(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value == {"tags": []}


def _tag_deleted(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert driver.TAG_NAME not in value["remaining"]


def _sshkey_created(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["key"] == driver.SSH_KEY and value["keysource"] is None


def _sshkeys_list(value: Any, doc: dict[str, Any], region: Region) -> None:
    _by(value, "id", _value(doc, "sshkeys.create")["id"])


def _sshkey_deleted(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert _value(doc, "sshkeys.create")["id"] not in value["remaining"]


def _interfaces_read(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert [i["name"] for i in value["interfaces"]] == ["eth0"]
    assert value["eth0"]["mac_address"] == READY_MAC
    untagged = _value(doc, "fabric.vlans")["vlans"]
    assert value["interfaces"][0]["vlan_id"] == _by(untagged, "vid", 0)["id"]


def _vlan_iface_created(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert (value["name"], value["type"], value["parents"]) == (f"eth0.{driver.VLAN_VID}", "vlan", ["eth0"])
    assert value["vlan_id"] == _value(doc, "vlans.create")["id"] and value["mac_address"] == READY_MAC


def _link_created(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert (value["mode"], value["ip_address"]) == ("static", driver.STATIC_IP)
    assert value["subnet_id"] == _value(doc, "subnets.create")["id"]
    vlan_iface = _by(value["interfaces"], "name", f"eth0.{driver.VLAN_VID}")
    assert vlan_iface["links"] == [{"mode": "static", "ip_address": driver.STATIC_IP}]


def _gateway_set(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["default_gateways"]["ipv4"] == {"gateway_ip": driver.GATEWAY, "link_id": value["link_id"]}


def _link_deleted(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["links"] == []
    assert _by(value["interfaces"], "name", f"eth0.{driver.VLAN_VID}")["links"] == []
    assert value["default_gateways"]["ipv4"] == {"gateway_ip": None, "link_id": None}


def _iface_deleted(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["interfaces"] == ["eth0"]


def _ip_reserved(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["reserved"] == {"ip": driver.RESERVED_IP, "hostname": "libmaas-printer",
                                 "alloc_type_name": "User reserved"}
    assert value["listed"] == [driver.RESERVED_IP]


def _ip_released(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["listed"] == []


def _device_created(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert (value["hostname"], value["fqdn"], value["node_type"]) == (
        driver.DEVICE_HOSTNAME, f"{driver.DEVICE_HOSTNAME}.maas", 1)
    assert value["macs"] == [driver.DEVICE_MAC]


def _devices_list(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert _by(value, "system_id", _value(doc, "devices.create")["system_id"])["hostname"] == driver.DEVICE_HOSTNAME


def _device_get(value: Any, doc: dict[str, Any], region: Region) -> None:
    created = dict(_value(doc, "devices.create"))
    created.pop("macs")
    assert value == created


def _device_deleted(value: Any, doc: dict[str, Any], region: Region) -> None:
    assert value["deleted"] not in value["remaining"]


CHECKS: dict[str, Check | None] = {
    "connect": None,
    "login": _login,
    "users.whoami": _whoami,
    "maas.set_name": None,
    "maas.get_name": _get_name,
    "fabrics.list": _fabrics_list,
    "fabrics.get": _fabric_zero,
    "fabrics.get_default": _default_fabric,
    "fabrics.create": _fabric_created,
    "fabric.vlans": _fabric_vlans,
    "vlans.create": _vlan_created,
    "vlan.save": _vlan_saved,
    "vlan.reread": _vlan_reread,
    "subnets.create": _subnet_created,
    "subnets.list": _subnets_list,
    "ip_ranges.create": _range_created,
    "ip_ranges.list": _ranges_list,
    "machines.create": _machine_created,
    "machines.list": _machines_list,
    "machines.get": _machine_get,
    "tags.create": _tag_created,
    "machine.tags.add": _tag_added,
    "tags.list": _tags_list,
    "machine.tags.remove": _tag_removed,
    "tag.delete": _tag_deleted,
    "sshkeys.create": _sshkey_created,
    "sshkeys.list": _sshkeys_list,
    "sshkey.delete": _sshkey_deleted,
    "machine.interfaces": _interfaces_read,
    "machine.interfaces.create_vlan": _vlan_iface_created,
    "interface.links.create": _link_created,
    "link.set_as_default_gateway": _gateway_set,
    "link.delete": _link_deleted,
    "interface.delete": _iface_deleted,
    "ip_addresses.reserve": _ip_reserved,
    "ip_addresses.release": _ip_released,
    "devices.create": _device_created,
    "devices.list": _devices_list,
    "devices.get": _device_get,
    "device.delete": _device_deleted,
    "machine.delete": _machine_deleted,
    "rack_controllers.list": _racks,
    "region_controllers.list": _regions,
}


def test_every_step_is_checked() -> None:
    assert list(CHECKS) == driver.STEP_NAMES


def test_libmaas_version(libmaas: dict[str, Any]) -> None:
    assert _document(libmaas)["libmaas_version"] == EXPECTED_VERSION


@pytest.mark.parametrize("step", driver.STEP_NAMES)
def test_libmaas_call(libmaas: dict[str, Any], region: Region, step: str) -> None:
    value = _step(libmaas, step)
    check = CHECKS[step]
    if check is not None:
        check(value, libmaas, region)


def test_libmaas_prints_no_warnings_or_errors(libmaas: dict[str, Any]) -> None:
    doc = _document(libmaas)
    assert doc["warnings"] == [], f"libmaas warned: {doc['warnings']}"
    assert doc["log"] == [], f"libmaas logged: {doc['log']}"
    assert doc["stderr"].strip() == "", f"libmaas printed on stderr: {doc['stderr'][-2000:]}"
