"""The front-door renderers (`maas-region ha haproxy-config` / `keepalived-config`): pure checks
of the generated text and of the CLI's errors.  The namespaces test (tests/ha/test_keepalived.py)
runs these configurations in real haproxy and keepalived."""

from __future__ import annotations

import re

import pytest

from ironworks.cli import region as cli
from ironworks.region.frontdoor.haproxy import (
    HEALTH_PATH,
    Backend,
    HAProxyOptions,
    haproxy_config,
)
from ironworks.region.frontdoor.keepalived import KeepalivedOptions, keepalived_config


def _section(text: str, header: str) -> list[str]:
    """The indented lines under a top-level `header` line of an haproxy config."""
    lines = text.splitlines()
    start = lines.index(header)
    body = []
    for line in lines[start + 1:]:
        if line and not line.startswith((" ", "\t")):
            break
        if line.strip():
            body.append(line.strip())
    return body


def _block(text: str, opener: str) -> str:
    """The text of a `{ ... }` block of a keepalived config that starts with `opener`."""
    start = text.index(opener)
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j]
    raise AssertionError(f"unbalanced block {opener}")


# -- HAProxy ---------------------------------------------------------------------------------
BACKENDS = [Backend("r1", "10.0.0.11", 5240), Backend("r2", "10.0.0.12", 5240),
            Backend("r3", "fd00::13", 5240)]


def test_haproxy_backend_is_sticky_retrying_and_health_checked() -> None:
    text = haproxy_config(BACKENDS, HAProxyOptions(bind_address="10.0.0.100", bind_port=80,
                                                   pidfile="/run/x/haproxy.pid"))
    backend = _section(text, "backend maas")
    assert "balance source" in backend
    assert "hash-type consistent" in backend
    assert f"option httpchk GET {HEALTH_PATH}" in backend and HEALTH_PATH == "/MAAS/health/"
    assert "http-check expect status 200" in backend
    everything = _section(text, "defaults") + backend
    assert "retries 3" in everything
    assert any(re.fullmatch(r"option redispatch( \d+)?", line) for line in everything)
    # One server line per region, each health-checked, IPv6 bracketed.
    servers = [line for line in backend if line.startswith("server ")]
    assert len(servers) == 3
    assert servers[0].split()[2] == "10.0.0.11:5240" and servers[2].split()[2] == "[fd00::13]:5240"
    assert all("check" in line.split() for line in servers)
    assert len({line.split()[1] for line in servers}) == 3  # distinct names
    assert "bind 10.0.0.100:80" in _section(text, "frontend maas")
    assert "pidfile /run/x/haproxy.pid" in _section(text, "global")


def test_haproxy_fast_checks_follow_the_options() -> None:
    text = haproxy_config(BACKENDS[:1], HAProxyOptions(inter_ms=500, fall=3, rise=2))
    default_server = next(line for line in _section(text, "backend maas") if line.startswith("default-server"))
    assert "inter 500ms" in default_server and "fall 3" in default_server and "rise 2" in default_server


def test_haproxy_cli_one_server_per_region(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["ha", "haproxy-config", "--bind", "0.0.0.0", "--port", "8080", "--pidfile", "/tmp/h.pid",
              "--region", "192.0.2.1:5240", "--region", "192.0.2.2:5241"])
    text = capsys.readouterr().out
    servers = [line.split()[2] for line in _section(text, "backend maas") if line.startswith("server ")]
    assert servers == ["192.0.2.1:5240", "192.0.2.2:5241"]
    assert "bind 0.0.0.0:8080" in _section(text, "frontend maas")


def test_haproxy_cli_rejects_a_bad_region(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["ha", "haproxy-config", "--region", "192.0.2.1"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("maas-region: ") and "ADDRESS:PORT" in err and "Traceback" not in err


# -- keepalived ------------------------------------------------------------------------------
def test_keepalived_tracks_haproxy_and_holds_the_vip() -> None:
    text = keepalived_config(KeepalivedOptions(
        vip="10.0.0.100/24", interface="ens3", priority=150, password="s3cret", state="MASTER",
        router_id=42, haproxy_pidfile="/run/haproxy/haproxy.pid"))
    script = _block(text, "vrrp_script chk_haproxy")
    assert "kill -0 $(cat /run/haproxy/haproxy.pid)" in script
    assert re.search(r"^\s*interval 1$", script, re.M) and re.search(r"^\s*fall 1$", script, re.M)
    assert re.search(r"^\s*weight 0$", script, re.M)  # default: FAULT when haproxy is down
    instance = _block(text, "vrrp_instance maas_vip")
    for line in ("state MASTER", "interface ens3", "virtual_router_id 42", "priority 150",
                 "auth_type PASS", "auth_pass s3cret"):
        assert re.search(rf"^\s*{re.escape(line)}$", instance, re.M), line
    assert _block(instance, "virtual_ipaddress").split() == ["10.0.0.100/24"]
    assert _block(instance, "track_script").split() == ["chk_haproxy"]
    assert "enable_script_security" in _block(text, "global_defs")


def test_keepalived_password_is_cut_to_vrrp_eight_characters() -> None:
    text = keepalived_config(KeepalivedOptions(vip="10.0.0.100", interface="eth0",
                                               password="averylongpassword"))
    assert re.search(r"^\s*auth_pass averylon$", text, re.M)


def test_keepalived_unicast_and_weight() -> None:
    text = keepalived_config(KeepalivedOptions(
        vip="10.0.0.100/24", interface="eth0", unicast_src="10.0.0.2",
        unicast_peers=("10.0.0.3", "10.0.0.4"), track_weight=-100))
    instance = _block(text, "vrrp_instance maas_vip")
    assert re.search(r"^\s*unicast_src_ip 10\.0\.0\.2$", instance, re.M)
    assert _block(instance, "unicast_peer").split() == ["10.0.0.3", "10.0.0.4"]
    assert re.search(r"^\s*weight -100$", _block(text, "vrrp_script chk_haproxy"), re.M)


@pytest.mark.parametrize("options, message", [
    (dict(priority=0), "priority must be between 1 and 254"),
    (dict(priority=255), "priority must be between 1 and 254"),
    (dict(router_id=256), "router id"),
    (dict(state="master"), "state must be MASTER or BACKUP"),
    (dict(vip="10.0.0.300/24"), "is not an address"),
    (dict(track_weight=-254), "track weight"),
    (dict(unicast_peers=("peer-b",)), "is not an IP address"),
])
def test_keepalived_rejects_bad_options(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        keepalived_config(KeepalivedOptions(**{"vip": "10.0.0.100/24", "interface": "eth0", **options}))


@pytest.mark.parametrize("args, message", [
    (["--priority", "300"], "priority must be between 1 and 254"),
    (["--priority", "0"], "priority must be between 1 and 254"),
    (["--vip", "not-an-ip"], "is not an address"),
])
def test_keepalived_cli_errors_are_one_line_and_exit_1(
        capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    base = {"--vip": "10.0.0.100/24", "--interface": "eth0"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = ["ha", "keepalived-config", *[x for pair in base.items() for x in pair]]
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("maas-region: ")
    assert message in captured.err and "Traceback" not in captured.err


def test_keepalived_cli_prints_the_config(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["ha", "keepalived-config", "--vip", "10.0.0.100/24", "--interface", "eth1",
              "--priority", "100", "--state", "BACKUP", "--password", "pw",
              "--haproxy-pidfile", "/tmp/hp.pid", "--peer", "10.0.0.2", "--unicast-src", "10.0.0.3"])
    text = capsys.readouterr().out
    instance = _block(text, "vrrp_instance maas_vip")
    assert re.search(r"^\s*priority 100$", instance, re.M)
    assert re.search(r"^\s*state BACKUP$", instance, re.M)
    assert re.search(r"^\s*interface eth1$", instance, re.M)
    assert _block(instance, "unicast_peer").split() == ["10.0.0.2"]
    assert "kill -0 $(cat /tmp/hp.pid)" in text
