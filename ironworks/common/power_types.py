"""The power types MAAS knows, with the parameters each accepts.

One table, read by node validation (and later by `describe_power_types` and the power
drivers).  Names and parameter names are MAAS's, because clients and scripts send them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ironworks.common.errors import InvalidInput


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    required: bool = False
    choices: tuple[str, ...] = ()  # empty: free text
    secret: bool = False


@dataclass(frozen=True)
class PowerType:
    name: str
    description: str
    params: tuple[Param, ...] = field(default_factory=tuple)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


_ADDRESS = Param("power_address", "Power address", required=True)
_USER = Param("power_user", "Power user")
_PASS = Param("power_pass", "Power password", secret=True)
_BOOL = ("true", "false")

POWER_TYPES: dict[str, PowerType] = {p.name: p for p in (
    PowerType("manual", "Manual"),
    PowerType("amt", "Intel AMT", (_ADDRESS, _PASS)),
    PowerType("apc", "American Power Conversion (APC) PDU", (
        _ADDRESS, Param("node_outlet", "APC PDU node outlet number (1-16)", required=True),
        Param("power_on_delay", "Power ON outlet delay (seconds)"))),
    PowerType("dli", "Digital Loggers, Inc. PDU", (
        Param("outlet_id", "Outlet ID", required=True), _ADDRESS, _USER, _PASS)),
    PowerType("eaton", "Eaton PDU", (
        _ADDRESS, Param("node_outlet", "Eaton PDU node outlet number (1-24)", required=True),
        Param("power_on_delay", "Power ON outlet delay (seconds)"))),
    PowerType("hmc", "IBM Hardware Management Console (HMC)", (
        _ADDRESS, _USER, _PASS, Param("server_name", "HMC Managed System server name", required=True),
        Param("lpar", "HMC logical partition", required=True))),
    PowerType("ipmi", "IPMI", (
        Param("power_driver", "Power driver", choices=("LAN", "LAN_2_0")),
        Param("power_boot_type", "Power boot type", choices=("auto", "legacy", "efi")),
        _ADDRESS, _USER, _PASS, Param("k_g", "K_g BMC key", secret=True),
        Param("cipher_suite_id", "Cipher suite ID", choices=("17", "3", "", "8", "12")),
        Param("privilege_level", "Privilege level", choices=("USER", "OPERATOR", "ADMIN")),
        Param("mac_address", "Power MAC"))),
    PowerType("lxd", "LXD (virtual systems)", (
        _ADDRESS, Param("instance_name", "Instance name", required=True),
        Param("project", "LXD project"), Param("password", "LXD password (optional)", secret=True),
        Param("certificate", "LXD certificate (optional)"),
        Param("key", "LXD private key (optional)", secret=True))),
    PowerType("moonshot", "HP Moonshot - iLO4 (IPMI)", (
        _ADDRESS, _USER, _PASS, Param("power_hwaddress", "Power hardware address", required=True))),
    PowerType("mscm", "HP Moonshot - iLO Chassis Manager", (
        _ADDRESS, _USER, _PASS, Param("node_id", "Node ID - Must adhere to cXnY format", required=True))),
    PowerType("msftocs", "Microsoft OCS - Chassis Manager", (
        _ADDRESS, Param("power_port", "Power port"), _USER, _PASS,
        Param("blade_id", "Blade ID (Typically 1-24)", required=True))),
    PowerType("nova", "OpenStack Nova", (
        Param("nova_id", "Host UUID", required=True), Param("os_tenantname", "Tenant name", required=True),
        Param("os_username", "Username", required=True),
        Param("os_password", "Password", required=True, secret=True),
        Param("os_authurl", "Auth URL", required=True))),
    PowerType("openbmc", "OpenBMC Power Driver", (_ADDRESS, _USER, _PASS)),
    PowerType("proxmox", "Proxmox", (
        _ADDRESS, _USER, _PASS, Param("power_token_name", "API token name"),
        Param("power_token_secret", "API token secret", secret=True),
        Param("power_verify_ssl", "Verify SSL connections with system CA certificates", choices=("y", "n")),
        Param("power_vm_name", "Node ID", required=True))),
    PowerType("recs_box", "Christmann RECS|Box Power Driver", (
        Param("node_id", "Node ID", required=True), _ADDRESS, Param("power_port", "Power port"),
        _USER, _PASS)),
    PowerType("redfish", "Redfish", (_ADDRESS, _USER, _PASS, Param("node_id", "Node ID"))),
    PowerType("sm15k", "SeaMicro 15000", (
        Param("system_id", "System ID", required=True), _ADDRESS, _USER, _PASS,
        Param("power_control", "Power control type", choices=("ipmi", "restapi", "restapi2")))),
    PowerType("ucsm", "Cisco UCS Manager", (
        Param("uuid", "Server UUID", required=True), _ADDRESS, _USER, _PASS)),
    PowerType("virsh", "Virsh (virtual systems)", (
        _ADDRESS, Param("power_id", "Virsh VM ID", required=True),
        Param("power_pass", "Power password (optional)", secret=True))),
    PowerType("vmware", "VMware", (
        Param("power_vm_name", "VM Name (if UUID unknown)"), Param("power_uuid", "VM UUID (if known)"),
        Param("power_address", "VMware IP", required=True), _USER, _PASS,
        Param("power_port", "VMware API port (optional)"),
        Param("power_protocol", "VMware API protocol (optional)"))),
    PowerType("webhook", "Webhook", (
        Param("power_on_uri", "URI to power on the node", required=True),
        Param("power_off_uri", "URI to power off the node", required=True),
        Param("power_query_uri", "URI to query the nodes power status"),
        Param("power_on_regex", "Regex to confirm the node is on"),
        Param("power_off_regex", "Regex to confirm the node is off"),
        _USER, _PASS, Param("power_token", "Power token, will be used in place of power_user and power_pass",
                            secret=True),
        Param("power_verify_ssl", "Verify SSL connections with system CA certificates", choices=("y", "n")))),
    PowerType("wedge", "Facebook's Wedge", (_ADDRESS, _USER, _PASS)),
)}


def choices_text() -> str:
    return ", ".join(sorted(POWER_TYPES))


def check_power_type(name: str) -> str:
    """A known power type (or "" for none), else a 400 naming the choices."""
    if name == "" or name in POWER_TYPES:
        return name
    raise InvalidInput.field(
        "power_type", f"Select a valid choice. '{name}' is not one of the available choices "
                      f"({choices_text()}).")


def check_power_parameters(power_type: str, params: Mapping[str, Any],
                           skip_check: bool = False) -> dict[str, Any]:
    """The parameters to store for `power_type`.  Unknown names, values outside a parameter's
    choices and missing required parameters are 400s, unless `skip_check` (MAAS's
    `power_parameters_skip_check`) asks to store them as given."""
    for key, value in params.items():
        if isinstance(value, (dict, list)):
            raise InvalidInput.field(
                "power_parameters", f"Power parameter '{key}' must be a single value, not a list or object.")
    if skip_check:
        return dict(params)
    if power_type == "":
        if params:
            raise InvalidInput.field(
                "power_parameters", "Power parameters were given without a power type; set power_type too.")
        return {}
    kind = POWER_TYPES[power_type]
    unknown = sorted(k for k in params if kind.param(k) is None)
    if unknown:
        accepted = ", ".join(p.name for p in kind.params) or "none"
        raise InvalidInput.field(
            "power_parameters",
            f"Unknown power parameter(s) for power type '{power_type}': {', '.join(unknown)}. "
            f"Accepted: {accepted}.")
    errors: list[str] = []
    for param in kind.params:
        value = params.get(param.name)
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        if param.required and text == "":
            errors.append(f"power_parameters_{param.name} ({param.label}) is required for power type "
                          f"'{power_type}'.")
        elif value is not None and param.choices and text not in param.choices:
            errors.append(f"'{text}' is not a valid {param.name}; choose one of "
                          f"{', '.join(c or '(blank)' for c in param.choices)}.")
    if errors:
        raise InvalidInput({"power_parameters": errors})
    return dict(params)
