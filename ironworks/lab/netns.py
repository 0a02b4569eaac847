"""A throw-away multi-host L2 lab made of network namespaces, for HA tests.

One "switch" namespace holds a bridge; every "host" namespace gets a veth whose other end is a
port of that bridge.  Names are unique per lab (`iwka-<random>-<role>`), so parallel runs never
clash, and every address lives only inside namespaces the lab created.  `close()` kills the
processes the lab started (by PID) and deletes every namespace, whatever state the test left.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Sequence

BRIDGE = "br0"


class LabError(AssertionError):
    """A lab step failed (a missing program, an `ip` command that refused)."""


def require_programs(*names: str) -> dict[str, str]:
    """Absolute paths of the programs the lab needs; fail (not skip) when one is missing."""
    found, missing = {}, []
    for name in names:
        path = shutil.which(name) or next(
            (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.access(p, os.X_OK)), None)
        if path:
            found[name] = path
        else:
            missing.append(name)
    if missing:
        raise LabError(
            f"required program(s) missing: {', '.join(missing)} — install the Debian packages "
            "(e.g. `apt-get install -y keepalived haproxy iproute2`)")
    if os.geteuid() != 0:
        raise LabError("network namespace tests need root (ip netns add)")
    return found


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise LabError(f"ip {' '.join(args)}: {result.stderr.strip() or result.returncode}")
    return result


@dataclass
class NetLab:
    prefix: str = field(default_factory=lambda: f"iwka-{secrets.token_hex(3)}")
    namespaces: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen] = field(default_factory=list)
    switch: str | None = None
    ports: dict[str, str] = field(default_factory=dict)  # host namespace -> its bridge port

    # -- building ----------------------------------------------------------------------------
    def add_namespace(self, role: str) -> str:
        name = f"{self.prefix}-{role}"
        _ip("netns", "add", name)
        self.namespaces.append(name)
        _ip("-n", name, "link", "set", "lo", "up")
        return name

    def add_switch(self, role: str = "sw") -> str:
        """A namespace with a bridge that forwards at once (no STP, no forward delay)."""
        self.switch = self.add_namespace(role)
        _ip("-n", self.switch, "link", "add", BRIDGE, "type", "bridge",
            "stp_state", "0", "forward_delay", "0")
        _ip("-n", self.switch, "link", "set", BRIDGE, "up")
        return self.switch

    def add_host(self, role: str, address: str, ifname: str = "eth0") -> str:
        """A namespace plugged into the switch by a veth `ifname` carrying `address` (CIDR)."""
        if self.switch is None:
            raise LabError("add_switch() first")
        host = self.add_namespace(role)
        port = f"p{len(self.ports)}"
        _ip("link", "add", ifname, "netns", host, "type", "veth", "peer", "name", port,
            "netns", self.switch)
        _ip("-n", self.switch, "link", "set", port, "master", BRIDGE)
        _ip("-n", self.switch, "link", "set", port, "up")
        _ip("-n", host, "addr", "add", address, "dev", ifname)
        _ip("-n", host, "link", "set", ifname, "up")
        self.ports[host] = port
        return host

    def set_port(self, host: str, up: bool) -> None:
        """Cut (or restore) a host's cable at the switch: what a crashed host looks like."""
        _ip("-n", self.switch or "", "link", "set", self.ports[host], "up" if up else "down")

    # -- looking -----------------------------------------------------------------------------
    def addresses(self, ns: str) -> list[str]:
        """Every IPv4 address (no prefix) configured in a namespace."""
        data = json.loads(_ip("-j", "-n", ns, "addr", "show").stdout or "[]")
        return [a["local"] for link in data for a in link.get("addr_info", []) if a.get("family") == "inet"]

    def holders(self, address: str, among: Sequence[str]) -> list[str]:
        return [ns for ns in among if address in self.addresses(ns)]

    # -- running -----------------------------------------------------------------------------
    def run(self, ns: str, *args: str, timeout: float = 60, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(["ip", "netns", "exec", ns, *args], capture_output=True, text=True,
                                timeout=timeout, env=env)
        if check and result.returncode != 0:
            raise LabError(f"in {ns}: {' '.join(args)} exited {result.returncode}: "
                           f"{(result.stderr or result.stdout).strip()[-2000:]}")
        return result

    def spawn(self, ns: str, args: Sequence[str], *, log: Path | None = None,
              env: dict[str, str] | None = None, stdout: IO | int | None = None) -> subprocess.Popen:
        """Start a process in a namespace.  `ip netns exec` execs, so the Popen's pid is the
        program's own: the lab stops it by that PID."""
        out: IO | int | None = stdout
        if log is not None:
            out = open(log, "ab")
        try:
            proc = subprocess.Popen(["ip", "netns", "exec", ns, *args], stdout=out,
                                    stderr=subprocess.STDOUT if out is not None else None,
                                    stdin=subprocess.DEVNULL, env=env)
        finally:
            if log is not None and hasattr(out, "close"):
                out.close()  # the child has its own copy
        self.processes.append(proc)
        return proc

    @staticmethod
    def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        """Stop one process this lab started, by its PID."""
        if proc.poll() is not None:
            return
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)

    @staticmethod
    def pids(ns: str) -> list[int]:
        out = _ip("netns", "pids", ns, check=False).stdout
        return [int(x) for x in out.split() if x.isdigit()]

    # -- tearing down ------------------------------------------------------------------------
    def close(self) -> None:
        """Kill what the lab started (newest first) and delete its namespaces.  Never raises
        before having tried everything; reports what it could not remove."""
        problems = []
        for proc in reversed(self.processes):
            try:
                self.stop(proc, timeout=5)
            except Exception as exc:  # keep going: the namespaces must go
                problems.append(f"pid {proc.pid}: {exc}")
        for ns in reversed(self.namespaces):
            # Anything still running inside a namespace of ours was started by this lab (e.g. a
            # keepalived VRRP child, an haproxy worker): kill it by PID before deleting.
            for pid in self.pids(ns):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            result = _ip("netns", "del", ns, check=False)
            if result.returncode != 0 and ns in list_namespaces():
                time.sleep(0.2)
                result = _ip("netns", "del", ns, check=False)
                if result.returncode != 0:
                    problems.append(f"netns {ns}: {result.stderr.strip()}")
        self.namespaces.clear()
        if problems:
            raise LabError("lab teardown incomplete: " + "; ".join(problems))

    def __enter__(self) -> "NetLab":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def list_namespaces() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


# -- a client to run inside a namespace (stdlib only: `python netns.py load|probe ...`) ---------
def _oauth_plaintext(apikey: str) -> str:
    """A fresh PLAINTEXT OAuth 1.0 header for a MAAS API key (consumer:token:secret)."""
    import urllib.parse
    import uuid

    consumer, token, secret = apikey.split(":")
    params = {"oauth_version": "1.0", "oauth_signature_method": "PLAINTEXT",
              "oauth_consumer_key": consumer, "oauth_token": token,
              "oauth_signature": "&" + secret, "oauth_nonce": uuid.uuid4().hex,
              "oauth_timestamp": str(int(time.time()))}
    quoted = ", ".join(f'{k}="{urllib.parse.quote(v, safe="")}"' for k, v in params.items())
    return f'OAuth realm="", {quoted}'


def _client_main(argv: list[str]) -> int:
    """`probe URL SECONDS`: exit 0 once URL answers 200.  `load BASE OUT STOPFILE SECONDS`:
    alternate GET version/ (anonymous) and users/?op=whoami (signed with $IWKA_APIKEY) through
    one keep-alive connection (reconnecting after any error), one JSON line per request."""
    import http.client
    import sys
    import urllib.parse

    if argv[:1] == ["probe"]:
        url, deadline = argv[1], time.monotonic() + float(argv[2])
        u = urllib.parse.urlsplit(url)
        last = ""
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=1)
                conn.request("GET", u.path + (f"?{u.query}" if u.query else ""))
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return 0
                last = f"HTTP {status}"
            except OSError as exc:
                last = repr(exc)
            time.sleep(0.1)
        print(f"{url}: no 200 in {argv[2]} s (last: {last})", file=sys.stderr)
        return 1
    if argv[:1] == ["load"]:
        base, out, stop_file, seconds = argv[1], argv[2], Path(argv[3]), float(argv[4])
        apikey = os.environ.get("IWKA_APIKEY", "")
        u = urllib.parse.urlsplit(base)
        api = u.path.rstrip("/") + "/api/2.0/"
        calls = [("version", api + "version/", False), ("whoami", api + "users/?op=whoami", True)]
        deadline = time.monotonic() + seconds
        conn = None
        i = 0
        with open(out, "w") as sink:
            while time.monotonic() < deadline and not stop_file.exists():
                name, path, signed = calls[i % len(calls)]
                i += 1
                started = time.monotonic()
                record: dict = {"t": started, "call": name}
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=1)
                    headers = {"Authorization": _oauth_plaintext(apikey)} if signed else {}
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    record["status"] = response.status
                    ok = response.status == 200
                    if ok and signed:
                        ok = json.loads(body).get("username") == "admin"
                    record["ok"] = ok
                    if response.getheader("connection", "").lower() == "close":
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException, ValueError) as exc:
                    record.update(ok=False, error=type(exc).__name__ + ": " + str(exc)[:200])
                    if conn is not None:
                        conn.close()
                    conn = None
                record["end"] = time.monotonic()
                sink.write(json.dumps(record) + "\n")
                sink.flush()
                time.sleep(0.02)
        return 0
    print("usage: netns.py probe URL SECONDS | load BASE OUT STOPFILE SECONDS", file=sys.stderr)
    return 2


if __name__ == "__main__":
    import sys

    sys.exit(_client_main(sys.argv[1:]))
