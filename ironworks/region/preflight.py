"""Before a region serves: its listen port is free and none of its old processes still run.

A region's old workers can outlive their master (before they died with it, or hung while it was
killed): they keep the listen port and go on heartbeating, so the region looks alive while the
new one fails deep inside uvicorn with "Address already in use".  Refuse up front instead, in one
line that names the processes to stop.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Iterable


def port_in_use(address: str, port: int) -> bool:
    """Something listens on address:port (bound as uvicorn binds: with SO_REUSEADDR)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def old_processes(pids: Iterable[int], data_dir: Path) -> list[int]:
    """Those of `pids` (the region's recorded processes) that still run as this region: alive,
    not this process, and with this region's data directory (a recycled PID is someone else)."""
    mine = str(data_dir.resolve())
    return sorted(pid for pid in set(pids)
                  if pid != os.getpid() and _environ(pid).get("MAAS_DATA") == mine)


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


def listeners(port: int) -> list[int]:
    """PIDs of the processes holding a listening socket on `port` (those we may inspect)."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
            if any(os.readlink(f"/proc/{entry}/fd/{fd}") in sockets for fd in fds):
                found.append(int(entry))
        except OSError:
            continue
    return sorted(found)


def refusal(address: str, port: int, old: list[int]) -> str | None:
    """The one-line reason not to start (this region's `old` processes still run, or the listen
    address is taken), or None."""
    if old:
        pids = ", ".join(map(str, old))
        return (f"this region's old processes are still running (PIDs {pids}): stop them "
                f"(kill {' '.join(map(str, old))}) and start maas-regiond again")
    if port_in_use(address, port):
        holders = listeners(port)
        named = f" by PIDs {', '.join(map(str, holders))}" if holders else ""
        return (f"the listen address {address}:{port} is already in use{named}: stop that program "
                "or choose another listen_port")
    return None
