"""The cluster's UUID and shared secret: made once in the database, written by every region to
its data directory, and handed to racks by `maas-region rack-register-command`."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from ironworks.lab.harness import Cluster, Region, free_port, world_traversable_tempdir

BIN = Path(sys.executable).parent


def stored(region: Region) -> dict[str, str]:
    rows = region.sql("SELECT name, value FROM config WHERE name IN ('uuid', 'rpc_shared_secret')")
    return dict(rows)


def new_region(cluster: Cluster, dbname: str | None = None) -> Region:
    region = Region(cluster, dbname or cluster.new_database(), free_port(), world_traversable_tempdir("iw-secret-"))
    region.write_config()
    return region


def run_on_rack(rack: Path, line: str) -> subprocess.CompletedProcess:
    """A printed command, run as an operator would on a rack host (here: its own directories)."""
    argv = shlex.split(line)
    env = {**os.environ, "MAAS_CLUSTER_CONFIG": str(rack / "rackd.conf"), "MAAS_DATA": str(rack / "data"),
           "HOME": str(rack)}
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)


def test_two_regions_starting_together_write_the_same_secret_0640(cluster: Cluster) -> None:
    first = new_region(cluster)
    second = new_region(cluster, first.dbname)
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda r: r.start(), (first, second)))
        ours = stored(first)
        assert len(ours["rpc_shared_secret"]) == 32 and int(ours["rpc_shared_secret"], 16) >= 0
        assert len(ours["uuid"]) == 36
        for region in (first, second):
            secret_file = region.home / "data" / "secret"
            assert secret_file.read_text().strip() == ours["rpc_shared_secret"]
            assert stat.S_IMODE(secret_file.stat().st_mode) == 0o640
            log = (region.home / "regiond.log").read_text()
            assert (f"register a rack with: maas-rack register --url {region.url} "
                    f'--secret "$(cat {secret_file.resolve()})"') in log
            assert ours["rpc_shared_secret"] not in log  # the log is read more widely than the file
    finally:
        for region in (first, second):
            region.stop()
            shutil.rmtree(region.home, ignore_errors=True)
    restarted = new_region(cluster, first.dbname)  # a later start keeps the cluster's identity
    try:
        restarted.start()
        assert stored(restarted) == ours
    finally:
        restarted.stop()
        shutil.rmtree(restarted.home, ignore_errors=True)


def test_the_printed_command_gives_a_rack_the_regions_secret(cluster: Cluster, tmp_path: Path) -> None:
    region = new_region(cluster)
    try:
        region.start()
        lines = region.run("maas-region", "rack-register-command").stdout.splitlines()
        assert len(lines) == 2
        assert lines[0].startswith(f"maas-rack register --url {region.url} --secret ")
        assert lines[1].startswith(f"maas init rack --maas-url {region.url} --secret ")
        region_secret = (region.home / "data" / "secret").read_text()
        for n, line in enumerate(lines):
            rack = tmp_path / f"rack{n}"
            result = run_on_rack(rack, line)
            assert result.returncode == 0, result.stderr
            assert (rack / "data" / "secret").read_text() == region_secret
            assert yaml.safe_load((rack / "rackd.conf").read_text()) == {"maas_url": [region.url.rstrip("/")]}
    finally:
        region.stop()
        shutil.rmtree(region.home, ignore_errors=True)


def test_the_command_without_a_maas_url_uses_the_listen_address_or_url_given(cluster: Cluster) -> None:
    """No region need run: the command makes the identity itself when it is the first to ask,
    and two at once still agree."""
    region = new_region(cluster)
    conf = yaml.safe_load((region.home / "regiond.conf").read_text())
    del conf["maas_url"]
    (region.home / "regiond.conf").write_text(yaml.safe_dump(conf))
    region.run("maas-region", "migrate")
    try:
        procs = [subprocess.Popen([str(BIN / "maas-region"), "rack-register-command"], env=region.command_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        assert outputs[0][0] == outputs[1][0]
        secret = stored(region)["rpc_shared_secret"]
        assert outputs[0][0].splitlines()[0] == (
            f"maas-rack register --url http://127.0.0.1:{region.port}/MAAS --secret {secret}")
        given = region.run("maas-region", "rack-register-command", "--url", "http://vip.example/MAAS",
                           "--url", "http://10.0.0.2:5240/MAAS").stdout.splitlines()[0]
        assert given == (f"maas-rack register --url http://vip.example/MAAS --url http://10.0.0.2:5240/MAAS "
                         f"--secret {secret}")
        bad = region.run("maas-region", "rack-register-command", "--url", "vip.example", check=False)
        assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    finally:
        shutil.rmtree(region.home, ignore_errors=True)


def test_an_unusable_stored_secret_is_one_line(cluster: Cluster) -> None:
    region = new_region(cluster)
    region.run("maas-region", "migrate")
    region.sql("""INSERT INTO config (name, value) VALUES ('rpc_shared_secret', '"xyz"')""")
    try:
        result = region.run("maas-region", "rack-register-command", check=False)
        assert result.returncode == 1 and result.stderr.count("\n") == 1
        assert "rpc_shared_secret" in result.stderr
    finally:
        shutil.rmtree(region.home, ignore_errors=True)
