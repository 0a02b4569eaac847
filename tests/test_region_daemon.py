"""maas-regiond start-up and shutdown: embedded database, migrations, self-registration."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from ironworks.lab.harness import (
    BIN,
    Cluster,
    Region,
    free_port,
    world_traversable_tempdir,
)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@pytest.fixture
def home() -> Path:
    path = world_traversable_tempdir("iw-embedded-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_embedded_default_runs_its_own_database_and_stops_it(home: Path) -> None:
    port = free_port()
    (home / "regiond.conf").write_text(yaml.safe_dump(
        {"listen_address": "127.0.0.1", "listen_port": port, "num_workers": 2}))
    region = Region(cluster=None, dbname="maasdb", port=port, home=home)  # type: ignore[arg-type]
    region.start()
    try:
        postmaster = home / "data" / "postgres" / "data" / "postmaster.pid"
        assert postmaster.exists(), "the embedded PostgreSQL runs in the data directory"
        assert len(_children(region.process.pid)) >= 2, "num_workers worker processes"
        key = region.create_user("admin", admin=True)
        assert key.get("users/", op="whoami").json()["username"] == "admin"
        system_id = (home / "data" / "maas_id").read_text().strip()
        assert len(system_id) == 6
    finally:
        region.stop()
    assert region.process.returncode == 0
    assert not postmaster.exists(), "stopping the region stops its embedded database"
    # Restart: same identity, data kept.
    region.start()
    try:
        assert (home / "data" / "maas_id").read_text().strip() == system_id
        client = region.create_user("second", admin=True)
        assert {u["username"] for u in client.get("users/").json()} >= {"admin", "second"}
    finally:
        region.stop()


def test_two_concurrent_migrations_do_not_race(cluster: Cluster) -> None:
    dbname = cluster.new_database()
    regions = []
    for _ in range(2):
        region = Region(cluster, dbname, free_port(), world_traversable_tempdir("iw-mig-"))
        region.write_config()
        regions.append(region)
    procs = [subprocess.Popen([str(BIN / "maas-region"), "migrate"], env=r.command_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in regions]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    outputs = " ".join(out for out, _ in results)
    assert "was empty" in outputs and "already current" in outputs
    assert cluster.sql(dbname, "SELECT count(*) FROM fabric WHERE id = 0") == [(1,)]
    for r in regions:
        shutil.rmtree(r.home, ignore_errors=True)


def test_a_database_with_an_unknown_newer_schema_is_refused(cluster: Cluster) -> None:
    region = Region(cluster, cluster.new_database(), free_port(), world_traversable_tempdir("iw-new-"))
    region.write_config()
    region.run("maas-region", "migrate")
    cluster.sql(region.dbname, "UPDATE alembic_version SET version_num = '9999_from_the_future'")
    result = subprocess.run([str(BIN / "maas-regiond")], env=region.command_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "9999_from_the_future" in result.stderr and "upgrade this region" in result.stderr
    assert "Traceback" not in result.stderr
    shutil.rmtree(region.home, ignore_errors=True)


def test_sigterm_marks_the_region_off(cluster: Cluster) -> None:
    region = Region(cluster, cluster.new_database(), free_port(), world_traversable_tempdir("iw-stop-"))
    region.write_config()
    region.start()
    system_id = (region.home / "data" / "maas_id").read_text().strip()
    status = lambda: region.sql(  # noqa: E731
        "SELECT s.status FROM service s JOIN node n ON n.id = s.node_id "
        "WHERE n.system_id = %s AND s.name = 'regiond'", (system_id,))
    assert status() == [("running",)]
    region.process.send_signal(signal.SIGTERM)
    region.process.wait(30)
    assert status() == [("off",)]
    shutil.rmtree(region.home, ignore_errors=True)


def test_a_second_start_is_refused_naming_the_old_processes_and_the_port_holder(cluster: Cluster) -> None:
    """Starting a region whose old processes still run (or whose port another program holds)
    fails at once with one line naming the PIDs — not deep in uvicorn with a traceback."""
    region = Region(cluster, cluster.new_database(), free_port(), world_traversable_tempdir("iw-twice-"))
    region.write_config()
    region.start()
    try:
        again = subprocess.run([str(BIN / "maas-regiond")], env=region.command_env(),
                               capture_output=True, text=True, timeout=60)
        assert again.returncode == 1
        [refusal] = [ln for ln in again.stderr.splitlines() if ln.startswith("maas-regiond:")]
        assert f"old processes are still running (PIDs {region.process.pid})" in refusal
        assert "Traceback" not in again.stderr, again.stderr[-2000:]
    finally:
        region.stop()
    with socket.socket() as squatter:  # another program on the region's port
        squatter.bind(("127.0.0.1", region.port))
        squatter.listen()
        taken = subprocess.run([str(BIN / "maas-regiond")], env=region.command_env(),
                               capture_output=True, text=True, timeout=60)
    assert taken.returncode == 1
    assert f"127.0.0.1:{region.port} is already in use by PIDs {os.getpid()}" in taken.stderr
    assert "Traceback" not in taken.stderr
    shutil.rmtree(region.home, ignore_errors=True)
