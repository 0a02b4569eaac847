"""keepalived + HAProxy front door in network namespaces, with the configurations that
`maas-region ha keepalived-config` / `haproxy-config` generate.

Lab (all in namespaces this module creates and always deletes):

    client 10.250.0.9 ─┐
    lbA    10.250.0.2 ─┤  bridge in the "sw" namespace     VIP 10.250.0.100/24
    lbB    10.250.0.3 ─┤                                   (keepalived: lbA 150 MASTER, lbB 100)
    region 10.250.0.20 ┘  maas-regiond :5240, database = the test PostgreSQL over its unix socket

Each lb namespace runs a real haproxy (master-worker, pid file) and a real keepalived whose
`vrrp_script` checks that haproxy by its pid file.  A client in the client namespace calls the API
through the VIP (anonymous version/ and a signed users/?op=whoami) while we kill lbA's haproxy —
the VIP must move to lbB and the client must carry on — and then while lbA "crashes" (keepalived
killed, switch port down).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from ironworks.lab import netns
from ironworks.lab.harness import BIN, Cluster, Region, world_traversable_tempdir
from ironworks.lab.netns import NetLab, require_programs

pytestmark = pytest.mark.slow

VIP = "10.250.0.100"
PREFIX = 24
LB_ADDRESSES = {"lbA": "10.250.0.2", "lbB": "10.250.0.3"}
CLIENT_ADDRESS = "10.250.0.9"
REGION_ADDRESS = "10.250.0.20"
REGION_PORT = 5240
NETLAB = netns.__file__
PYTHON = str(BIN / "python")

# Bounds asserted (what was measured is printed, and written to $IWKA_FIGURES if set).
VIP_MOVE_BOUND_S = 8.0
CLIENT_GAP_BOUND_S = 8.0
GARP_GRACE_S = 0.5


@dataclass
class LB:
    name: str
    ns: str
    home: Path
    priority: int
    state: str
    haproxy: subprocess.Popen | None = None
    keepalived: subprocess.Popen | None = None

    @property
    def haproxy_pidfile(self) -> Path:
        return self.home / "haproxy.pid"

    @property
    def vrrp_pidfile(self) -> Path:
        return self.home / "vrrp.pid"


@dataclass
class VipLab:
    net: NetLab
    region: Region
    client_ns: str
    lbs: dict[str, LB]
    work: Path
    apikey: str
    figures: dict = field(default_factory=dict)

    def holders(self) -> list[str]:
        return [name for name, lb in self.lbs.items() if VIP in self.net.addresses(lb.ns)]

    def wait_holders(self, expected: list[str], timeout: float) -> float:
        """Seconds until exactly `expected` hold the VIP (polled every 20 ms)."""
        start = time.monotonic()
        while True:
            held = self.holders()
            if held == expected:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(f"VIP {VIP} held by {held or 'nobody'} after {timeout} s, "
                                     f"expected {expected}\n{self.logs()}")
            time.sleep(0.02)

    def probe(self, url: str, seconds: float = 30) -> None:
        result = self.net.run(self.client_ns, PYTHON, NETLAB, "probe", url, str(seconds),
                              check=False, timeout=seconds + 30)
        if result.returncode != 0:
            raise AssertionError(f"from the client namespace: {result.stderr.strip()}\n{self.logs()}")

    def logs(self) -> str:
        parts = []
        for path in sorted(self.work.rglob("*.log")):
            parts.append(f"--- {path.relative_to(self.work)} (tail)\n" + path.read_text(errors="replace")[-1500:])
        return "\n".join(parts)

    # -- the front-door processes ------------------------------------------------------------
    def start_haproxy(self, lb: LB) -> None:
        lb.haproxy_pidfile.unlink(missing_ok=True)
        cfg = lb.home / "haproxy.cfg"
        cfg.write_text(maas_region("ha", "haproxy-config", "--bind", "0.0.0.0", "--port", "80",
                                   "--region", f"{REGION_ADDRESS}:{REGION_PORT}",
                                   "--pidfile", str(lb.haproxy_pidfile)))
        check = subprocess.run([require_programs("haproxy")["haproxy"], "-c", "-f", str(cfg)],
                               capture_output=True, text=True)
        assert check.returncode == 0, f"haproxy rejects the generated config: {check.stdout}{check.stderr}"
        # Master-worker in the foreground: the master writes the pid file (its own PID, which
        # is the Popen's), and a SIGKILLed master takes its worker down with it.
        lb.haproxy = self.net.spawn(lb.ns, ["haproxy", "-W", "-db", "-f", str(cfg)],
                                    log=lb.home / "haproxy.log")
        deadline = time.monotonic() + 10
        while not lb.haproxy_pidfile.exists() or not lb.haproxy_pidfile.read_text().strip():
            assert lb.haproxy.poll() is None, f"haproxy in {lb.name} exited\n{self.logs()}"
            assert time.monotonic() < deadline, f"haproxy in {lb.name} wrote no pid file\n{self.logs()}"
            time.sleep(0.05)
        assert int(lb.haproxy_pidfile.read_text().split()[0]) == lb.haproxy.pid
        self.probe(f"http://{LB_ADDRESSES[lb.name]}/MAAS/api/2.0/version/")

    def start_keepalived(self, lb: LB) -> None:
        conf = lb.home / "keepalived.conf"
        conf.write_text(maas_region(
            "ha", "keepalived-config", "--vip", f"{VIP}/{PREFIX}", "--interface", "eth0",
            "--priority", str(lb.priority), "--state", lb.state, "--password", "iwka-pw",
            "--router-id", "51", "--haproxy-pidfile", str(lb.haproxy_pidfile)))
        check = subprocess.run([require_programs("keepalived")["keepalived"], "-t", "-f", str(conf)],
                               capture_output=True, text=True)
        assert check.returncode == 0, f"keepalived rejects the generated config: {check.stdout}{check.stderr}"
        # Own pid files per instance (two keepalived on one host would otherwise refuse).
        lb.keepalived = self.net.spawn(
            lb.ns, ["keepalived", "-n", "-l", "-D", "-f", str(conf), "-p", str(lb.home / "keepalived.pid"),
                    "-r", str(lb.vrrp_pidfile), "-c", str(lb.home / "checkers.pid")],
            log=lb.home / "keepalived.log")

    def run_load(self, seconds: float, tag: str) -> "Load":
        out, stop = self.work / f"load-{tag}.jsonl", self.work / f"load-{tag}.stop"
        proc = self.net.spawn(
            self.client_ns, [PYTHON, NETLAB, "load", f"http://{VIP}/MAAS/", str(out), str(stop), str(seconds)],
            env={**os.environ, "IWKA_APIKEY": self.apikey}, log=self.work / f"load-{tag}.log")
        return Load(proc, out, stop)


@dataclass
class Load:
    proc: subprocess.Popen
    out: Path
    stop_file: Path

    def records(self) -> list[dict]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def wait_successes(self, count: int, since: float = 0.0, timeout: float = 20) -> None:
        """Wait for `count` successful requests among those sent at or after `since` (monotonic)."""
        deadline = time.monotonic() + timeout
        while sum(r["ok"] for r in self.records() if r["t"] >= since) < count:
            assert self.proc.poll() is None, "the load client exited early"
            assert time.monotonic() < deadline, f"no {count} successes through the VIP: {self.records()[-5:]}"
            time.sleep(0.05)

    def finish(self) -> list[dict]:
        self.stop_file.touch()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            NetLab.stop(self.proc)
        return self.records()


def maas_region(*args: str) -> str:
    result = subprocess.run([str(BIN / "maas-region"), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"maas-region {' '.join(args)}: {result.stderr}"
    return result.stdout


def gap_report(records: list[dict], since: float) -> dict:
    """Longest stretch without a successful answer around an event at `since` (monotonic)."""
    window = [r for r in records if r["end"] >= since - 1]
    ok_ends = [r["end"] for r in window if r["ok"]]
    longest, prev = 0.0, since
    for end in ok_ends:
        if end >= prev:
            longest = max(longest, end - prev)
            prev = end
    failed = [r for r in records if not r["ok"] and r["t"] >= since - 1]
    return {"longest_gap_s": round(longest, 3), "failed_requests": len(failed),
            "requests": len(records), "failures": sorted({r.get("error") or f"HTTP {r.get('status')}"
                                                          for r in failed})[:5]}


def clients_carry_on(lab: VipLab, load: Load, event: float, moved_at: float, figure: str) -> list[dict]:
    """After the VIP moved at `moved_at` because of an event at `event`: the clients' longest wait
    stays bounded and every request sent once the new master announced the VIP succeeds (its
    gratuitous ARP follows the address by a few milliseconds; a request sent in between still
    goes to the old host's MAC and times out).  Returns those settled requests."""
    settled_from = moved_at + GARP_GRACE_S
    load.wait_successes(20, since=settled_from)
    records = load.finish()
    report = gap_report(records, event)
    lab.figures[figure] = {"vip_move_s": round(moved_at - event, 3), **report}
    print(f"\n{figure}: VIP on lbB after {moved_at - event:.2f} s; {report}")
    assert report["longest_gap_s"] <= CLIENT_GAP_BOUND_S, report
    tail = [r for r in records if r["t"] >= settled_from]
    assert tail and all(r["ok"] for r in tail), [r for r in tail if not r["ok"]][:5]
    return tail


@pytest.fixture(scope="module")
def lab(cluster: Cluster) -> Iterator[VipLab]:
    require_programs("ip", "haproxy", "keepalived")  # fails, never skips
    net = NetLab()
    work = world_traversable_tempdir("iwka-")
    region: Region | None = None
    try:
        net.add_switch()
        lbs = {}
        for name, priority, state in (("lbA", 150, "MASTER"), ("lbB", 100, "BACKUP")):
            ns = net.add_host(name, f"{LB_ADDRESSES[name]}/{PREFIX}")
            (work / name).mkdir()
            lbs[name] = LB(name, ns, work / name, priority, state)
        client_ns = net.add_host("client", f"{CLIENT_ADDRESS}/{PREFIX}")
        region_ns = net.add_host("region", f"{REGION_ADDRESS}/{PREFIX}")

        # The region lives in its own namespace; its database is the session's PostgreSQL,
        # reached over the server's unix socket (a path: it crosses network namespaces).
        (work / "region").mkdir()
        region = Region(cluster, cluster.new_database(), REGION_PORT, work / "region")
        region.write_config(database_host=str(cluster.pg.socket_dir), listen_address=REGION_ADDRESS,
                            listen_port=REGION_PORT, maas_url=f"http://{VIP}/MAAS/")
        region.process = net.spawn(region_ns, [str(BIN / "maas-regiond")], env=region.command_env(),
                                   log=work / "region" / "regiond.log")
        vip_lab = VipLab(net, region, client_ns, lbs, work, apikey="")
        vip_lab.probe(f"http://{REGION_ADDRESS}:{REGION_PORT}/MAAS/api/2.0/version/", seconds=60)
        region.run("maas-region", "createadmin", "--username", "admin", "--password", "secret",
                   "--email", "admin@example.com")
        vip_lab.apikey = region.run("maas-region", "apikey", "--username", "admin", "--generate").stdout.strip()

        # HAProxy after the backend listens, then keepalived.
        for lb in lbs.values():
            vip_lab.start_haproxy(lb)
        for lb in lbs.values():
            vip_lab.start_keepalived(lb)
        vip_lab.figures["vip_up_s"] = round(vip_lab.wait_holders(["lbA"], timeout=20), 3)
        vip_lab.probe(f"http://{VIP}/MAAS/api/2.0/version/")
        yield vip_lab
        print(f"\nkeepalived VIP figures: {json.dumps(vip_lab.figures)}")
        if os.environ.get("IWKA_FIGURES"):
            Path(os.environ["IWKA_FIGURES"]).write_text(json.dumps(vip_lab.figures, indent=2) + "\n")
    finally:
        try:
            if region is not None:
                region.stop()  # SIGTERM by PID, then the lab sweeps whatever is left
        finally:
            net.close()
            shutil.rmtree(work, ignore_errors=True)


def test_vip_moves_when_master_haproxy_dies(lab: VipLab) -> None:
    lbA, lbB = lab.lbs["lbA"], lab.lbs["lbB"]
    assert lab.holders() == ["lbA"]
    load = lab.run_load(60, "haproxy")
    load.wait_successes(20)

    killed = time.monotonic()
    os.kill(lbA.haproxy.pid, signal.SIGKILL)  # the MASTER's haproxy, by its PID
    lbA.haproxy.wait(10)
    moved = lab.wait_holders(["lbB"], timeout=VIP_MOVE_BOUND_S)
    # Clients carry on through lbB.
    tail = clients_carry_on(lab, load, killed, killed + moved, "haproxy_kill")
    assert {r["call"] for r in tail if r["ok"]} == {"version", "whoami"}
    assert lab.holders() == ["lbB"]  # never both
    assert lbB.keepalived.poll() is None and lbA.keepalived.poll() is None


def test_vip_returns_then_moves_when_master_host_crashes(lab: VipLab) -> None:
    lbA = lab.lbs["lbA"]
    # haproxy back on lbA: its priority is 150 again and it takes the VIP back (preemption).
    if lbA.haproxy is None or lbA.haproxy.poll() is not None:
        lab.start_haproxy(lbA)
    back = lab.wait_holders(["lbA"], timeout=VIP_MOVE_BOUND_S)
    lab.figures["failback_s"] = round(back, 3)
    lab.probe(f"http://{VIP}/MAAS/api/2.0/version/")

    load = lab.run_load(60, "crash")
    load.wait_successes(20)
    # A crash: the host drops off the switch first (so no farewell advert gets out), then its
    # keepalived (parent and VRRP child) is killed by PID.  The VIP stays configured on the dead
    # host's own interface, as it would on a crashed machine.
    vrrp_pid = int(lbA.vrrp_pidfile.read_text().split()[0])
    crashed = time.monotonic()
    lab.net.set_port(lbA.ns, up=False)
    os.kill(lbA.keepalived.pid, signal.SIGKILL)
    try:
        os.kill(vrrp_pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    lbA.keepalived.wait(10)

    deadline = time.monotonic() + VIP_MOVE_BOUND_S
    while "lbB" not in lab.holders():
        assert time.monotonic() < deadline, f"lbB did not take the VIP\n{lab.logs()}"
        time.sleep(0.02)
    clients_carry_on(lab, load, crashed, time.monotonic(), "host_crash")
