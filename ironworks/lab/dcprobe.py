"""`python dcprobe.py ping ADDRESS SECONDS`: exit 0 when ADDRESS answers one ICMP echo in time.

Run inside a lab namespace (stdlib only, needs root for the raw socket): the machines the lab
runs on need not have `ping` installed.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import time


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def ping(address: str, timeout: float) -> bool:
    ident = os.getpid() & 0xFFFF
    payload = b"ironworks-lab"
    header = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
    packet = struct.pack("!BBHHH", 8, 0, _checksum(header + payload), ident, 1) + payload
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        sock.sendto(packet, (address, 0))
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            data, (source, _) = sock.recvfrom(2048)
            icmp = data[(data[0] & 0x0F) * 4:]  # past the IP header
            kind, _, _, reply_id, _ = struct.unpack("!BBHHH", icmp[:8])
            if kind == 0 and reply_id == ident and source == address:
                return True
    return False


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "ping":
        print("usage: dcprobe.py ping ADDRESS SECONDS", file=sys.stderr)
        sys.exit(2)
    try:
        answered = ping(sys.argv[2], float(sys.argv[3]))
    except OSError as exc:  # no route, network down: not reachable
        print(f"{sys.argv[2]}: {exc}", file=sys.stderr)
        answered = False
    sys.exit(0 if answered else 1)
