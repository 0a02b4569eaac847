"""`make demo`: two regions behind HAProxy and two racks on a shared VLAN, until Ctrl-C.

Everything but HAProxy lives in a one-machine data centre of network namespaces
(ironworks.lab.datacentre: a switch with VLANs and an uplink from this namespace):

- region A (host `demo-region-a`) runs the embedded PostgreSQL in .demo/a/data; region B
  (`demo-region-b`) uses that same database through its unix socket (a file: it crosses network
  namespaces), as a secondary API server would.  Both listen on their management address, :5240.
- HAProxy (config from `maas-region ha haproxy-config`) runs here, on 127.0.0.1:5240, and
  reaches the regions through the uplink: the front door stays http://localhost:5240/MAAS/.
- two racks (`demo-rack-1`, `demo-rack-2`) run the real `maas-rackd`, registered with the real
  `maas-rack register --url <region A> --url <region B> --secret <$MAAS_DATA/secret>`; eth0 is on
  the management VLAN, eth1 on the VLAN both racks share.

Everything started here is stopped here, by PID, and the namespaces are removed, on Ctrl-C,
SIGTERM or a failure.  A run killed hard is swept at the next start: its namespaces (and every
process in them) by the lab's sweep, its HAProxy by the PID recorded in .demo/demo.json.

Environment: DEMO_DIR (default .demo in the checkout), DEMO_PORT (default 5240).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ironworks.lab import dcnames  # noqa: E402
from ironworks.lab.datacentre import DataCentre, access  # noqa: E402
from ironworks.lab.dchosts import LabRack  # noqa: E402
from ironworks.lab.harness import BIN, APIClient  # noqa: E402
from ironworks.lab.hosts import launch_as_host, session_members, stop_process  # noqa: E402

DEMO = Path(os.environ.get("DEMO_DIR") or REPO / ".demo").resolve()
FRONT_PORT = int(os.environ.get("DEMO_PORT", "5240"))
URL = f"http://localhost:{FRONT_PORT}/MAAS/"
REGION_PORT = 5240
REGIONS = ("a", "b")
RACKS = ("1", "2")
SHARED_VID = 10
START_TIMEOUT_S = 180
RACK_TIMEOUT_S = 90
STATE = DEMO / "demo.json"


def say(text: str = "") -> None:
    try:
        print(text, flush=True)
    except OSError:  # the terminal (or a pipe reader) is gone: keep cleaning up regardless
        pass


class Failed(Exception):
    """The demo cannot go on: said on stderr, everything is cleaned up, exit 1."""


def env_for(name: str) -> dict[str, str]:
    home = DEMO / name
    return {**os.environ, "MAAS_REGION_CONFIG": str(home / "regiond.conf"), "MAAS_DATA": str(home / "data")}


def region_cmd(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "maas-region"), *args], env=env_for(name), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


def region_cmds(*calls: tuple[str, list[str]]) -> list[subprocess.CompletedProcess]:
    """Several `maas-region` commands at once (each is mostly Python starting up)."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: region_cmd(call[0], *call[1]), calls))


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except Exception:
        return False


def tail(path: Path, lines: int = 10) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def sweep_previous_run() -> None:
    """A demo killed hard left its HAProxy (the one process outside the namespaces) running:
    stop it by the PID it recorded, if its creator is dead and the PID is still that process."""
    try:
        state = json.loads(STATE.read_text())
    except (OSError, ValueError):
        return
    if dcnames.alive(state.get("pid", 0), state.get("started")):
        return  # another demo, still running: the port check below says so
    pid, started = state.get("haproxy") or (0, None)
    if pid and dcnames.alive(pid, started):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while dcnames.alive(pid, started) and time.monotonic() < deadline:
            time.sleep(0.1)
        if dcnames.alive(pid, started):
            os.kill(pid, signal.SIGKILL)
    STATE.unlink(missing_ok=True)


def statuses(api: APIClient, resource: str, service: str) -> dict[str, tuple[str, str]]:
    """hostname -> (status, status_info) of `service`, as `maas admin <resource> read` shows it."""
    response = api.get(resource)
    if response.status_code != 200:
        raise RuntimeError(f"{resource}: HTTP {response.status_code}")
    out = {}
    for node in response.json():
        for svc in node.get("service_set", []):
            if svc["name"] == service:
                out[node["hostname"]] = (svc["status"], svc.get("status_info", ""))
    return out


def shown(status: tuple[str, str] | None) -> str:
    if status is None:
        return "not registered"
    return status[0] + (f" ({status[1]})" if status[1] else "")


class Demo:
    def __init__(self) -> None:
        self.dc: DataCentre | None = None
        self.regions: dict[str, subprocess.Popen] = {}
        self.region_address: dict[str, str] = {}
        self.racks: dict[str, LabRack] = {}
        self.haproxy: subprocess.Popen | None = None
        self.api: APIClient | None = None

    # -- the data centre -----------------------------------------------------------------------
    def build(self) -> None:
        self.dc = DataCentre()  # sweeps the namespaces of labs whose creator died
        self.save_state()
        self.dc.add_vlan(SHARED_VID)
        for name in REGIONS:
            host = self.dc.add_host(f"region-{name}")
            self.region_address[name] = host.address()

    def region_url(self, name: str) -> str:
        return f"http://{self.region_address[name]}:{REGION_PORT}/MAAS/"

    def save_state(self) -> None:
        state = {"pid": os.getpid(), "started": dcnames.start_time(os.getpid()),
                 "lab": self.dc.name if self.dc else ""}
        if self.haproxy:
            state["haproxy"] = [self.haproxy.pid, dcnames.start_time(self.haproxy.pid)]
        STATE.write_text(json.dumps(state))

    # -- regions -------------------------------------------------------------------------------
    def configure(self) -> None:
        """Both regiond.conf files, and haproxy.cfg for the two regions' addresses."""
        socket_dir = DEMO / "a" / "data" / "postgres" / "run"
        calls = []
        for name in REGIONS:
            (DEMO / name / "data").mkdir(parents=True, exist_ok=True)
            for path in (DEMO, DEMO / name, DEMO / name / "data"):
                path.chmod(0o755)
            args = ["local_config_set", "--listen-address", self.region_address[name],
                    "--listen-port", str(REGION_PORT), "--maas-url", URL, "--num-workers", "2"]
            if name != "a":  # a secondary API server: the same database as region A
                args += ["--database-host", str(socket_dir), "--database-port", "5432"]
            calls.append((name, args))
        backends = [a for n in REGIONS for a in ("--region", f"{self.region_address[n]}:{REGION_PORT}")]
        calls.append(("a", ["ha", "haproxy-config", "--bind", "127.0.0.1", "--port", str(FRONT_PORT),
                            "--pidfile", str(DEMO / "haproxy.pid"), *backends]))
        for result in region_cmds(*calls):
            if result.returncode:
                raise Failed(result.stderr.strip())
        (DEMO / "haproxy.cfg").write_text(result.stdout)

    def start_region(self, name: str) -> None:
        assert self.dc is not None
        log = DEMO / name / "regiond.log"
        self.regions[name] = proc = launch_as_host(
            f"demo-region-{name}", [str(BIN / "maas-regiond")], env=env_for(name), log=log,
            wrapper=["ip", "netns", "exec", self.dc.hosts[f"region-{name}"].ns])
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(self.region_url(name) + "api/2.0/version/"):
            if proc.poll() is not None:
                raise Failed(f"region {name.upper()} exited during start-up:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise Failed(f"region {name.upper()} did not answer within {START_TIMEOUT_S}s (see {log})")
            time.sleep(0.3)

    def start_haproxy(self) -> None:
        with open(DEMO / "haproxy.log", "ab") as log:
            self.haproxy = subprocess.Popen(["haproxy", "-W", "-db", "-f", str(DEMO / "haproxy.cfg")],
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.save_state()
        deadline = time.monotonic() + 30
        while not answers(URL + "api/2.0/version/"):
            if self.haproxy.poll() is not None or time.monotonic() > deadline:
                raise Failed(f"haproxy did not start (see {DEMO / 'haproxy.log'})")
            time.sleep(0.2)

    @staticmethod
    def create_admin() -> subprocess.CompletedProcess:
        return region_cmd("a", "createadmin", "--username", "admin", "--password", "admin",
                          "--email", "admin@example.com")

    def admin_key(self, created: subprocess.CompletedProcess) -> str:
        if created.returncode and "already exists" not in created.stderr:
            raise Failed(created.stderr.strip())
        key = region_cmd("a", "apikey", "--username", "admin").stdout.split("\n")[0].strip()
        if not key:
            raise Failed("no API key for admin")
        self.api = APIClient(URL, key)
        return key

    # -- racks ---------------------------------------------------------------------------------
    def secret(self) -> str:
        path = DEMO / "a" / "data" / "secret"
        deadline = time.monotonic() + 30
        while not path.exists():
            if time.monotonic() > deadline:
                raise Failed(f"region A wrote no shared secret to {path}")
            time.sleep(0.2)
        return path.read_text().strip()

    def start_racks(self) -> str:
        """Register and start both racks; returns the register command (secret elided)."""
        assert self.dc is not None
        secret = self.secret()
        urls = [self.region_url(n) for n in REGIONS]
        for name in RACKS:
            host = self.dc.add_host(f"rack-{name}", access(self.dc.mgmt_vid), access(SHARED_VID))
            # A home in .demo (not a temporary one): the next run finds its config and log there.
            rack = LabRack(host.ns, f"demo-rack-{name}", DEMO / f"rack-{name}")
            self.racks[name] = rack
            done = rack.register(urls, secret)
            if done.returncode:
                raise Failed(f"maas-rack register on demo-rack-{name}: {done.stderr.strip()}")
            rack.start()
        return "maas-rack register " + " ".join(f"--url {u}" for u in urls) + f' --secret "$(cat {DEMO}/a/data/secret)"'

    def wait_racks_running(self) -> dict[str, tuple[str, str]]:
        assert self.api is not None
        deadline = time.monotonic() + RACK_TIMEOUT_S
        names = [r.hostname for r in self.racks.values()]
        now: dict[str, tuple[str, str]] = {}
        while True:
            for name, rack in self.racks.items():
                if not rack.running():
                    raise Failed(f"maas-rackd on {rack.hostname} exited:\n{tail(rack.logfile)}")
            try:
                now = statuses(self.api, "rackcontrollers/", "rackd")
            except Exception:  # noqa: BLE001 - a region busy starting up: ask again
                pass
            if all(now.get(n, ("",))[0] == "running" for n in names):
                return now
            if time.monotonic() > deadline:
                raise Failed(f"the racks' rackd is not running after {RACK_TIMEOUT_S}s: "
                             + ", ".join(f"{n}: {shown(now.get(n))}" for n in names)
                             + f" (see {DEMO}/rack-*/rackd.log)")
            time.sleep(0.5)

    # -- watching ------------------------------------------------------------------------------
    def watch(self) -> None:
        """Until HAProxy exits (or a signal): print every change of a rack's rackd or a region's
        regiond status, as the API (through HAProxy) shows it."""
        assert self.api is not None and self.haproxy is not None
        before: dict[tuple[str, str], str] = {}
        first = True
        while self.haproxy.poll() is None:
            now = dict(before)  # what a failed or partial answer does not say is unchanged
            try:
                now |= {(n, "regiond"): shown(s)
                        for n, s in statuses(self.api, "regioncontrollers/", "regiond").items()}
                now |= {(n, "rackd"): shown(s) for n, s in statuses(self.api, "rackcontrollers/", "rackd").items()}
            except Exception:  # noqa: BLE001 - no region answers right now: ask again
                pass
            if not first:
                for name, service in sorted(now):
                    if before.get((name, service)) != now[name, service]:
                        say(f"[{time.strftime('%H:%M:%S')}] {name}: {service} {now[name, service]}")
            before, first = now, False
            time.sleep(1)
        raise Failed(f"haproxy exited; see {DEMO / 'haproxy.log'}")

    # -- stopping ------------------------------------------------------------------------------
    def stop_all(self) -> None:
        """By PID, in order: racks, HAProxy, region B, region A (it owns the embedded
        PostgreSQL), PostgreSQL itself if region A could not stop it; then the namespaces."""
        steps = [*(lambda r=r: stop_process(r.process, timeout=10) for r in self.racks.values()),
                 lambda: stop_process(self.haproxy, timeout=10),
                 *(lambda n=n: stop_process(self.regions.get(n), timeout=30) for n in reversed(REGIONS)),
                 self.stop_postgres,
                 lambda: self.dc and self.dc.close()]
        problems = []
        for step in steps:  # every step, whatever failed before
            try:
                step()
            except Exception as exc:  # noqa: BLE001
                problems.append(str(exc) or repr(exc))
        if problems:
            raise RuntimeError("; ".join(problems))
        STATE.unlink(missing_ok=True)  # nothing left for the next run to sweep

    @staticmethod
    def stop_postgres() -> None:
        pidfile = DEMO / "a" / "data" / "postgres" / "data" / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        try:  # the PID is still that PostgreSQL (not a stale file's PID, reused)
            if str(pidfile.parent).encode() not in Path(f"/proc/{pid}/cmdline").read_bytes():
                return
        except OSError:
            return
        started = dcnames.start_time(pid)
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
        deadline = time.monotonic() + 30
        while dcnames.alive(pid, started) and time.monotonic() < deadline:
            time.sleep(0.1)

    # -- what the user sees --------------------------------------------------------------------
    def pids(self, proc: subprocess.Popen | None) -> list[int]:
        """The process and every member of its session (a region's workers, what rackd forked)."""
        if proc is None or proc.poll() is not None:
            return []
        return sorted(set(session_members(proc.pid)) | {proc.pid})

    def banner(self, key: str, register: str, racks: dict[str, tuple[str, str]]) -> str:
        assert self.dc is not None
        rel = os.path.relpath(BIN, Path.cwd()) if Path.cwd() in BIN.parents else str(BIN)
        maas = f"{rel}/maas"
        region_pids = {n: " ".join(map(str, self.pids(self.regions[n]))) for n in REGIONS}
        rack_pids = {n: " ".join(map(str, self.pids(self.racks[n].process))) for n in RACKS}
        mgmt, shared = self.dc.vlans[self.dc.mgmt_vid], self.dc.vlans[SHARED_VID]
        rack_lines = "\n".join(
            f"  demo-rack-{n}    eth0 {self.dc.hosts[f'rack-{n}'].address()}, "
            f"eth1 {self.dc.hosts[f'rack-{n}'].address(SHARED_VID)}    "
            f"rackd: {shown(racks.get(f'demo-rack-{n}'))}"
            for n in RACKS)
        region_lines = "\n".join(f"  demo-region-{n}  {self.region_url(n)}" + (
            "  (runs the embedded PostgreSQL)" if n == "a" else "  (same database, over its unix socket)")
            for n in REGIONS)
        watch = {what: f"""'{maas} admin {what}-controllers read | grep -A2 -E "\\"hostname\\"|\\"{what}d\\"" """
                       """| grep -E "hostname|status"'""" for what in ("rack", "region")}
        return f"""
ironworks is up at {URL}  (HAProxy on 127.0.0.1:{FRONT_PORT})

  Administrator:   admin / admin
  API key:         {key}

Regions (maas-regiond, 2 workers each, in network namespaces on the management VLAN {mgmt.vid}, {mgmt.network}):
{region_lines}
Racks (maas-rackd in network namespaces; eth0 on VLAN {mgmt.vid}, eth1 on the shared VLAN {shared.vid}, {shared.network}),
registered with: {register}
{rack_lines}

Try it (in another terminal, from {Path.cwd()}):

  {maas} login admin {URL} {key}
  {maas} admin region-controllers read
  {maas} admin rack-controllers read
  {maas} admin subnets read                          # both racks' eth1 on one VLAN {shared.vid} subnet

Watch the racks' rackd and the regions' regiond (status, status_info):

  watch -n1 {watch['rack']}
  watch -n1 {watch['region']}

Kill a rack: within ~10 s its rackd is dead (this terminal says so too):

  kill -9 {rack_pids['1']}        # demo-rack-1: maas-rackd
  kill -9 {rack_pids['2']}        # demo-rack-2: maas-rackd

Kill a region: the API keeps answering through HAProxy, both racks stay connected to the other
region (rackd degraded, 50% connected), and its regiond is dead within ~10 s:

  kill -9 {region_pids['b']}        # demo-region-b: master and workers
  kill -9 {region_pids['a']}        # demo-region-a: master and workers (its PostgreSQL keeps running)

Logs: {DEMO}/{{a,b}}/regiond.log, {DEMO}/rack-{{1,2}}/rackd.log, {DEMO}/haproxy.log
Lab: {self.dc.name} (namespaces: ip netns list | grep {self.dc.name})
Press Ctrl-C to stop everything.  Status changes:"""


def main() -> int:
    os.environ["PATH"] += ":/usr/sbin:/sbin"  # haproxy, ip, bridge
    if os.geteuid() != 0:
        print("demo: the racks run in network namespaces: run it as root", file=sys.stderr)
        return 1
    DEMO.mkdir(parents=True, exist_ok=True)
    sweep_previous_run()
    if listening(FRONT_PORT):
        print(f"demo: something already listens on 127.0.0.1:{FRONT_PORT} (another demo?); stop it first",
              file=sys.stderr)
        return 1
    demo = Demo()
    status = 0
    try:
        say("Building the lab: a switch with the management VLAN and VLAN "
            f"{SHARED_VID}, hosts for two regions and two racks...")
        demo.build()
        demo.configure()
        say("Starting region A (embedded PostgreSQL) and region B (same database), then HAProxy...")
        demo.start_region("a")
        with ThreadPoolExecutor(1) as pool:  # the administrator, while region B starts
            created = pool.submit(demo.create_admin)
            demo.start_region("b")
            demo.start_haproxy()
            key = demo.admin_key(created.result())
        say("Registering and starting the racks (maas-rack register, maas-rackd)...")
        register = demo.start_racks()
        racks = demo.wait_racks_running()
        say(demo.banner(key, register, racks))
        demo.watch()
    except KeyboardInterrupt:
        pass
    except Failed as exc:
        print(f"demo: {exc}", file=sys.stderr)
        status = 1
    except Exception as exc:  # noqa: BLE001 - said in one line; clean up regardless
        print(f"demo: {exc!r}", file=sys.stderr)
        status = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        say("\nStopping the racks, HAProxy, region B, region A (and its embedded PostgreSQL), "
            "and removing the namespaces...")
        try:
            demo.stop_all()
        except Exception as exc:  # noqa: BLE001
            print(f"demo: clean-up incomplete: {exc}", file=sys.stderr)
            status = 1
        else:
            say("Stopped.")
    return status


def _first_signal_only(signum: int, frame: object) -> None:
    """Ctrl-C reaches both make and this script, and make may pass it on: the first one (or a
    SIGTERM) starts the clean-up and every later one is ignored at once, so none can cut the
    clean-up short (ignoring it only in the clean-up left a window: seen, a region and
    PostgreSQL left running)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGINT, _first_signal_only)
    signal.signal(signal.SIGTERM, _first_signal_only)
    sys.exit(main())
