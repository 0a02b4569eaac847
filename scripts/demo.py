"""`make demo`: two regions behind HAProxy on the embedded database, until Ctrl-C.

Region A (127.0.0.1:5241) runs the embedded PostgreSQL in .demo/a/data; region B
(127.0.0.1:5242) uses that same database through its unix socket, exactly as a secondary API
server would use a shared one.  HAProxy (config from `maas-region ha haproxy-config`) is the
front door on http://localhost:5240/MAAS/.  Everything started here is stopped here, by PID.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
DEMO = REPO / ".demo"
FRONT_PORT = int(os.environ.get("DEMO_PORT", "5240"))
URL = f"http://localhost:{FRONT_PORT}/MAAS/"
REGIONS = {"a": 5241, "b": 5242}
START_TIMEOUT_S = 180


def say(text: str = "") -> None:
    try:
        print(text, flush=True)
    except OSError:  # the terminal (or a pipe reader) is gone: keep cleaning up regardless
        pass


def die(text: str) -> None:
    print(f"demo: {text}", file=sys.stderr)
    sys.exit(1)


def env_for(name: str) -> dict[str, str]:
    home = DEMO / name
    return {**os.environ, "MAAS_REGION_CONFIG": str(home / "regiond.conf"), "MAAS_DATA": str(home / "data")}


def region_cmd(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "maas-region"), *args], env=env_for(name), capture_output=True, text=True)


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


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Demo:
    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen] = {}

    def configure(self) -> None:
        socket_dir = DEMO / "a" / "data" / "postgres" / "run"
        for name, port in REGIONS.items():
            (DEMO / name / "data").mkdir(parents=True, exist_ok=True)
            for path in (DEMO, DEMO / name, DEMO / name / "data"):
                path.chmod(0o755)
            args = ["local_config_set", "--listen-address", "127.0.0.1", "--listen-port", str(port),
                    "--maas-url", URL, "--num-workers", "2"]
            if name != "a":  # a secondary API server: the same database as region A
                args += ["--database-host", str(socket_dir), "--database-port", "5432"]
            result = region_cmd(name, *args)
            if result.returncode:
                die(result.stderr.strip())

    def start_region(self, name: str) -> None:
        log = open(DEMO / name / "regiond.log", "ab")
        self.procs[name] = subprocess.Popen([str(BIN / "maas-regiond")], env=env_for(name), stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(f"http://127.0.0.1:{REGIONS[name]}/MAAS/api/2.0/version/"):
            if self.procs[name].poll() is not None:
                tail = (DEMO / name / "regiond.log").read_text().strip().splitlines()[-10:]
                die(f"region {name} exited during start-up:\n" + "\n".join(tail))
            if time.monotonic() > deadline:
                die(f"region {name} did not answer within {START_TIMEOUT_S}s (see {DEMO / name / 'regiond.log'})")
            time.sleep(0.3)

    def start_haproxy(self) -> None:
        backends = [a for n, p in REGIONS.items() for a in ("--region", f"127.0.0.1:{p}")]
        result = region_cmd("a", "ha", "haproxy-config", "--bind", "127.0.0.1", "--port", str(FRONT_PORT),
                            "--pidfile", str(DEMO / "haproxy.pid"), *backends)
        if result.returncode:
            die(result.stderr.strip())
        (DEMO / "haproxy.cfg").write_text(result.stdout)
        log = open(DEMO / "haproxy.log", "ab")
        self.procs["haproxy"] = subprocess.Popen(["haproxy", "-W", "-db", "-f", str(DEMO / "haproxy.cfg")],
                                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while not answers(URL + "api/2.0/version/"):
            if self.procs["haproxy"].poll() is not None or time.monotonic() > deadline:
                die(f"haproxy did not start (see {DEMO / 'haproxy.log'})")
            time.sleep(0.2)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        # Region A last: it owns the embedded PostgreSQL that B uses.
        for name in ("haproxy", "b", "a"):
            self.stop(name)
        postmaster = DEMO / "a" / "data" / "postgres" / "data" / "postmaster.pid"
        if postmaster.exists():  # region A was killed: stop its database ourselves, by PID
            try:
                os.kill(int(postmaster.read_text().split()[0]), signal.SIGTERM)
            except (OSError, ValueError):
                pass


def main() -> None:
    for port in (FRONT_PORT, *REGIONS.values()):
        if listening(port):
            die(f"something already listens on 127.0.0.1:{port} (another demo?); stop it first")
    demo = Demo()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        demo.configure()
        say("Starting region A (embedded PostgreSQL) and region B (same database), then HAProxy...")
        demo.start_region("a")
        demo.start_region("b")
        demo.start_haproxy()
        created = region_cmd("a", "createadmin", "--username", "admin", "--password", "admin",
                             "--email", "admin@example.com")
        if created.returncode and "already exists" not in created.stderr:
            die(created.stderr.strip())
        key = region_cmd("a", "apikey", "--username", "admin").stdout.split("\n")[0].strip()
        pids = {n: [demo.procs[n].pid, *children(demo.procs[n].pid)] for n in REGIONS}
        say(f"""
ironworks is up at {URL}  (HAProxy on 127.0.0.1:{FRONT_PORT}; regions on 127.0.0.1:{REGIONS['a']} and :{REGIONS['b']})

  Administrator:   admin / admin
  API key:         {key}

Try it (in another terminal, from {REPO}):

  .venv/bin/maas login admin {URL} {key}
  .venv/bin/maas admin users whoami
  .venv/bin/maas admin region-controllers read      # both regions, regiond running
  .venv/bin/maas admin rack-controllers read
  .venv/bin/maas admin fabrics read
  .venv/bin/maas admin subnets read

Kill a region and watch the other carry on:

  kill -9 {' '.join(map(str, pids['b']))}         # region B: its master and both workers
  .venv/bin/maas admin users whoami                 # still answers, through HAProxy
  watch -n1 "curl -s {URL}rpc/"                     # B's processes drop out within ~10 s
  .venv/bin/maas admin region-controllers read      # B's regiond is dead within ~10 s

(or kill region A: {' '.join(map(str, pids['a']))} — its embedded PostgreSQL keeps running.)

Logs: {DEMO}/a/regiond.log, {DEMO}/b/regiond.log, {DEMO}/haproxy.log
Press Ctrl-C to stop everything.""")
        while all(p.poll() is None for n, p in demo.procs.items() if n == "haproxy"):
            time.sleep(1)
        die("haproxy exited; see the log")
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        say("\nStopping HAProxy, region B, region A (and its embedded PostgreSQL)...")
        demo.stop_all()
        say("Stopped.")


def _first_interrupt_only(signum: int, frame: object) -> None:
    """Ctrl-C reaches both make and this script, and make may pass it on: the first one starts
    the clean-up and every later one is ignored at once, so none can cut the clean-up short
    (ignoring it only in the clean-up left a window: seen, a region and PostgreSQL left running)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGINT, _first_interrupt_only)
    main()
