"""The data centre lab's names, its /24 allocation, and the sweep of labs whose creator died.

Every lab is named `iwdc-<creator pid>-<random>`; its namespaces are `<name>-<role>` and its
root-side uplink carries the name as its link alias (interface names are limited to 15 chars).
A record file `/run/ironworks-lab/<name>.json` (written under an `fcntl` lock before anything is
created, removed last by `close()`) holds the /24 the lab took and who created it, so parallel
test processes never take the same /24 and a run that was killed is swept at the next start.
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import logging
import os
import re
import secrets
import signal
import subprocess
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from ironworks.lab.netns import LabError, list_namespaces

log = logging.getLogger(__name__)

RUN_DIR = Path("/run/ironworks-lab")
NAME_PREFIX = "iwdc"
# The RFC 2544 benchmarking range: never routed, so nothing real can be shadowed by a lab.
LAB_RANGE = ipaddress.IPv4Network("198.18.0.0/15")
_NAME = re.compile(rf"^({NAME_PREFIX}-(\d+)-[0-9a-f]+)(?:-|$)")


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


# -- who is alive -----------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot): tells a PID from its reuse."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def pid_namespace() -> str:
    return os.readlink("/proc/self/ns/pid")


def alive(pid: int, started: int | None = None) -> bool:
    fields = _stat(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return False
    return started is None or int(fields[19]) == started


# -- the record of one lab --------------------------------------------------------------------

@dataclass
class Record:
    name: str
    pid: int
    started: int | None
    pidns: str
    network: str  # the lab's /24
    uplink: str = ""  # root-side link name, once created

    @property
    def path(self) -> Path:
        return RUN_DIR / f"{self.name}.json"

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self)))
        tmp.replace(self.path)

    def dead(self) -> bool:
        # A creator in another PID namespace cannot be judged from here: leave its lab alone.
        return self.pidns == pid_namespace() and not alive(self.pid, self.started)


def _records() -> list[Record]:
    out = []
    for path in RUN_DIR.glob(f"{NAME_PREFIX}-*.json"):
        try:
            out.append(Record(**json.loads(path.read_text())))
        except (OSError, ValueError, TypeError):
            path.unlink(missing_ok=True)  # a torn write from a killed creator: nothing to keep
    return out


@contextmanager
def locked() -> Iterator[None]:
    RUN_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    with open(RUN_DIR / "lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def new_name(pid: int | None = None) -> str:
    return f"{NAME_PREFIX}-{pid or os.getpid()}-{secrets.token_hex(3)}"


def _root_networks() -> list[ipaddress.IPv4Network]:
    """Every IPv4 network the root namespace has an address or a route in."""
    nets = []
    for link in json.loads(_ip("-j", "-4", "addr", "show").stdout or "[]"):
        for a in link.get("addr_info", []):
            nets.append(ipaddress.IPv4Network(f"{a['local']}/{a['prefixlen']}", strict=False))
    for route in json.loads(_ip("-j", "-4", "route", "show").stdout or "[]"):
        dst = route.get("dst", "")
        if dst and dst != "default":
            nets.append(ipaddress.IPv4Network(dst if "/" in dst else f"{dst}/32", strict=False))
    return nets


def allocate(name: str, pid: int | None = None) -> Record:
    """Sweep dead labs, then take the lowest /24 of 198.18.0.0/15 no lab holds and the root
    namespace does not use; the record is saved before the lock is released."""
    pid = pid or os.getpid()
    with locked():
        _sweep_locked()
        taken = {r.network for r in _records()}
        used = _root_networks()
        for net in LAB_RANGE.subnets(new_prefix=24):
            if str(net) in taken or any(net.overlaps(u) for u in used):
                continue
            record = Record(name, pid, start_time(pid), pid_namespace(), str(net))
            record.save()
            return record
    raise LabError("every /24 of 198.18.0.0/15 is taken by a lab or by the root namespace")


def release(record: Record) -> None:
    with locked():
        record.path.unlink(missing_ok=True)


# -- the sweep --------------------------------------------------------------------------------

def kill_inside(ns: str, timeout: float = 10) -> None:
    """SIGKILL every process in a namespace, by PID, until none is left."""
    deadline = time.monotonic() + timeout
    while True:
        pids = [int(p) for p in _ip("netns", "pids", ns).stdout.split() if p.isdigit()]
        if not pids:
            return
        if time.monotonic() > deadline:
            raise LabError(f"processes {pids} in {ns} survive SIGKILL")
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)


def remove_namespace(ns: str) -> None:
    kill_inside(ns)
    result = _ip("netns", "del", ns)
    if result.returncode != 0 and ns in list_namespaces():
        raise LabError(f"ip netns del {ns}: {result.stderr.strip()}")


def root_links() -> dict[str, str]:
    """Root-namespace links that belong to a lab: link name -> lab name (from the alias)."""
    out = {}
    for link in json.loads(_ip("-j", "link", "show").stdout or "[]"):
        m = _NAME.match(link.get("ifalias", ""))
        if m:
            out[link["ifname"]] = m.group(1)
    return out


def remove_lab(name: str, uplink: str = "") -> None:
    """Everything of lab `name`: processes in its namespaces, the namespaces, its uplink."""
    problems = []
    for ns in list_namespaces():
        if ns.startswith(name + "-"):
            try:
                remove_namespace(ns)
            except LabError as exc:
                problems.append(str(exc))
    links = [link for link, lab in root_links().items() if lab == name]
    for link in {*links, *([uplink] if uplink else [])}:
        result = _ip("link", "del", link)
        if result.returncode != 0 and "Cannot find device" not in result.stderr:
            problems.append(f"ip link del {link}: {result.stderr.strip()}")
    if problems:
        raise LabError("; ".join(problems))


def _sweep_locked() -> list[str]:
    records = {r.name: r for r in _records()}
    dead = {name for name, r in records.items() if r.dead()}
    # Namespaces and links with no record left: judged by the creator PID in their name.
    for found in [*list_namespaces(), *root_links().values()]:
        m = _NAME.match(found)
        if m and m.group(1) not in records and not alive(int(m.group(2))):
            dead.add(m.group(1))
    swept = []
    for name in sorted(dead):
        try:
            remove_lab(name, records[name].uplink if name in records else "")
        except LabError as exc:  # someone else's leftovers must not stop a new lab: retry later
            log.warning("cannot sweep lab %s yet: %s", name, exc)
            continue
        if name in records:
            records[name].path.unlink(missing_ok=True)
        swept.append(name)
    return swept


def sweep() -> list[str]:
    """Remove the labs whose creator is no longer alive; returns their names."""
    with locked():
        return _sweep_locked()
