"""`make demo` for real, without a terminal: scripts/demo.py in a data directory of its own and
on a port of its own.  Two regions behind HAProxy and two racks register and run; the printed
`kill -9` of a region leaves both racks connected to the other (degraded); the printed watch
command works with the printed login; Ctrl-C stops everything and removes the namespaces; the
next run finds its racks again; a run killed hard is swept by the next one."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

from ironworks.lab import dcnames
from ironworks.lab.harness import BIN, APIClient, free_port, world_traversable_tempdir
from ironworks.lab.hosts import wait_for

REPO = Path(__file__).resolve().parents[2]
FIRST_START_S = 240  # initdb and every migration, on a busy CI machine
RACKS = ("demo-rack-1", "demo-rack-2")


class DemoRun:
    """scripts/demo.py as a child; its output collected line by line."""

    def __init__(self, home: Path, port: int) -> None:
        self.port = port
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "scripts" / "demo.py")],
            env={**os.environ, "DEMO_DIR": str(home), "DEMO_PORT": str(port), "PYTHONUNBUFFERED": "1"},
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
            start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_up(self, timeout: float) -> None:
        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"the demo exited with {self.proc.returncode}:\n{self.text}")
            return any(line.startswith("Press Ctrl-C") for line in self.lines)

        wait_for("the demo to be up", up, timeout, interval=0.5)

    def find(self, pattern: str) -> re.Match:
        match = re.search(pattern, self.text, re.MULTILINE)
        assert match, f"{pattern!r} not in the demo's output:\n{self.text}"
        return match

    @property
    def key(self) -> str:
        return self.find(r"API key:\s+(\S+)").group(1)

    @property
    def lab(self) -> str:
        return self.find(r"^Lab: (iwdc-\S+)").group(1)

    def kill_command(self, hostname: str) -> str:
        return self.find(rf"^\s*(kill -9 [\d ]+?)\s+# {hostname}:").group(1)

    def pids(self, hostname: str) -> list[int]:
        return [int(p) for p in self.kill_command(hostname).split()[2:]]

    def api(self) -> APIClient:
        return APIClient(f"http://localhost:{self.port}/MAAS/", self.key)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 90) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self.reader.join(10)

    def kill(self) -> None:
        """Whatever state it is in: SIGTERM (its clean-up), SIGKILL if that hangs."""
        if self.proc.poll() is None:
            try:
                self.stop(signal.SIGTERM)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def service(api: APIClient, resource: str, name: str) -> dict[str, tuple[str, str]]:
    out = {}
    for node in api.get(resource).json():
        for svc in node["service_set"]:
            if svc["name"] == name:
                out[node["hostname"]] = (svc["status"], svc["status_info"])
    return out


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    return dcnames.alive(pid)


def assert_all_gone(run: DemoRun, lab: str, pids: list[int], home: Path) -> None:
    assert [ns for ns in dcnames.list_namespaces() if ns.startswith(lab + "-")] == []
    assert not (dcnames.RUN_DIR / f"{lab}.json").exists()
    assert [p for p in pids if alive(p)] == []
    assert not (home / "a" / "data" / "postgres" / "data" / "postmaster.pid").exists()
    assert not (home / "demo.json").exists()
    assert not listening(run.port)


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    path = world_traversable_tempdir("iw-demo-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_two_racks_register_survive_a_region_kill_and_ctrl_c_removes_everything(home, tmp_path) -> None:  # noqa: ANN001
    run = DemoRun(home, free_port())
    try:
        run.wait_up(FIRST_START_S)
        for rack in RACKS:
            assert re.search(rf"^\s+{rack}\s.*rackd: running$", run.text, re.MULTILINE), run.text
        api = run.api()
        assert {h: s for h, s in service(api, "rackcontrollers/", "rackd").items()} == {
            r: ("running", "") for r in RACKS}
        lab = run.lab
        assert sorted(ns[len(lab) + 1:] for ns in dcnames.list_namespaces() if ns.startswith(lab + "-")) == [
            "rack-1", "rack-2", "region-a", "region-b", "sw"]
        # Both racks' eth1 on one VLAN: the shared one.
        eth1_vlans = {r["hostname"]: next(i["vlan"]["id"] for i in r["interface_set"] if i["name"] == "eth1")
                      for r in api.get("rackcontrollers/").json()}
        assert len(set(eth1_vlans.values())) == 1, eth1_vlans

        # The printed login and watch command, as a user pastes them (in the checkout).
        env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)}
        login = run.find(r"^\s+(\S*maas login admin \S+ \S+)$").group(1)
        watch = run.find(r"^\s+watch -n1 '(.*rack-controllers read.*)'$").group(1)
        assert subprocess.run(["bash", "-c", login], env=env, cwd=REPO, capture_output=True,
                              timeout=60).returncode == 0

        def watched() -> str:
            return subprocess.run(["bash", "-c", watch], env=env, cwd=REPO, capture_output=True, text=True,
                                  timeout=60).stdout

        assert watched().count('"status": "running"') == 2

        region_b = run.pids("demo-region-b")
        assert len(region_b) >= 3  # the master and its two workers (and what else it forked)
        subprocess.run(["bash", "-c", run.kill_command("demo-region-b")], check=True, timeout=30)
        degraded = ("degraded", "50% connected to region controllers.")
        wait_for("both racks degraded, connected to region A only",
                 lambda: service(api, "rackcontrollers/", "rackd") == {r: degraded for r in RACKS}, 40, 0.5)
        wait_for("region B's regiond dead", lambda: service(api, "regioncontrollers/", "regiond").get(
            "demo-region-b", ("",))[0] == "dead", 30, 0.5)
        assert service(api, "regioncontrollers/", "regiond")["demo-region-a"] == ("running", "")
        assert watched().count(f'"status_info": "{degraded[1]}"') == 2
        wait_for("the demo to say so", lambda: all(
            re.search(rf"^\[[\d:]+\] {r}: rackd degraded", run.text, re.MULTILINE) for r in RACKS), 10)

        survivors = [*run.pids("demo-region-a"), *run.pids("demo-rack-1"), *run.pids("demo-rack-2")]
        haproxy = json.loads((home / "demo.json").read_text())["haproxy"][0]
        assert run.stop(signal.SIGINT) == 0, run.text
        assert run.lines[-1] == "Stopped."
        assert_all_gone(run, lab, [*survivors, haproxy], home)
    finally:
        run.kill()


def test_the_next_run_finds_its_racks_and_a_run_killed_hard_is_swept(home) -> None:  # noqa: ANN001
    if not (home / "a" / "data").exists():  # run on its own: make the earlier run first
        earlier = DemoRun(home, free_port())
        try:
            earlier.wait_up(FIRST_START_S)
            assert earlier.stop(signal.SIGINT) == 0, earlier.text
        finally:
            earlier.kill()
    first = DemoRun(home, free_port())
    try:
        first.wait_up(FIRST_START_S)
        api = first.api()
        assert service(api, "rackcontrollers/", "rackd") == {r: ("running", "") for r in RACKS}
        assert sorted(r["hostname"] for r in api.get("rackcontrollers/").json()) == list(RACKS)
        lab = first.lab
        left = [*first.pids("demo-region-a"), *first.pids("demo-rack-1"),
                json.loads((home / "demo.json").read_text())["haproxy"][0]]
        first.proc.kill()  # no clean-up at all: namespaces, daemons and HAProxy stay behind
        first.proc.wait()
        first.reader.join(10)
        assert any(ns.startswith(lab + "-") for ns in dcnames.list_namespaces())
    finally:
        first.kill()

    second = DemoRun(home, first.port)  # the same port: the old HAProxy must be gone
    try:
        second.wait_up(FIRST_START_S)
        assert [ns for ns in dcnames.list_namespaces() if ns.startswith(lab + "-")] == []
        assert [p for p in left if alive(p)] == []
        assert service(second.api(), "rackcontrollers/", "rackd") == {r: ("running", "") for r in RACKS}
        assert second.stop(signal.SIGTERM) == 0, second.text
        assert_all_gone(second, second.lab, [], home)
    finally:
        second.kill()
