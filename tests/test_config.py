"""regiond.conf and `maas-region local_config_set/get`: the keys MAAS users know."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ironworks.region import config as cfg

BIN = Path(sys.executable).parent


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MAAS_REGION_CONFIG": str(tmp_path / "regiond.conf"),
           "MAAS_DATA": str(tmp_path / "data")}
    return subprocess.run([str(BIN / "maas-region"), *args], env=env, capture_output=True, text=True)


def test_local_config_set_changes_only_the_keys_given_and_writes_0640(tmp_path: Path) -> None:
    assert run(tmp_path, "local_config_set", "--maas-url", "http://10.0.0.1:5240/MAAS",
               "--database-host", "db1,db2", "--num-workers", "2").returncode == 0
    assert run(tmp_path, "local_config_set", "--database-port", "6543").returncode == 0
    stored = yaml.safe_load((tmp_path / "regiond.conf").read_text())
    assert stored == {"maas_url": "http://10.0.0.1:5240/MAAS", "database_host": "db1,db2",
                      "num_workers": 2, "database_port": 6543}
    assert stat.S_IMODE((tmp_path / "regiond.conf").stat().st_mode) == 0o640


def test_local_config_get_shows_all_keys_or_one(tmp_path: Path) -> None:
    run(tmp_path, "local_config_set", "--database-name", "regiondb")
    everything = run(tmp_path, "local_config_get").stdout
    assert "database_name: regiondb" in everything
    assert "num_workers: 4" in everything  # the default
    assert run(tmp_path, "local_config_get", "--database-name").stdout.strip() == "regiondb"


def test_bad_values_are_refused_with_one_line_and_nothing_written(tmp_path: Path) -> None:
    result = run(tmp_path, "local_config_set", "--num-workers", "0")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "num_workers" in result.stderr
    assert not (tmp_path / "regiond.conf").exists()
    result = run(tmp_path, "local_config_set", "--database-port", "seventy")
    assert result.returncode != 0 and "Traceback" not in result.stderr


def test_a_broken_config_file_gives_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "regiond.conf").write_text("database_port: [unclosed\n")
    result = run(tmp_path, "local_config_get")
    assert result.returncode == 1
    assert "not valid YAML" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "regiond.conf").write_text("databse_host: typo\n")
    result = run(tmp_path, "local_config_get")
    assert result.returncode == 1 and "databse_host" in result.stderr


def test_empty_database_host_means_embedded(tmp_path: Path) -> None:
    paths = cfg.Paths(tmp_path / "regiond.conf", tmp_path)
    assert cfg.update({"database_host": "db.example"}, paths).database_host == "db.example"
    assert cfg.update({"database_host": ""}, paths).embedded_database


def test_unreachable_database_is_one_line_naming_host_port_and_cause(tmp_path: Path) -> None:
    run(tmp_path, "local_config_set", "--database-host", "127.0.0.1", "--database-port", "1")
    for command in (["migrate"], ["createadmin", "--username", "a", "--password", "b", "--email", ""]):
        result = run(tmp_path, *command)
        assert result.returncode == 1
        line = result.stderr.strip()
        assert len(line.splitlines()) == 1, line
        assert "127.0.0.1 port 1" in line and "refused" in line.lower()
    env = {**os.environ, "MAAS_REGION_CONFIG": str(tmp_path / "regiond.conf"), "MAAS_DATA": str(tmp_path / "data")}
    daemon = subprocess.run([str(BIN / "maas-regiond")], env=env, capture_output=True, text=True, timeout=60)
    assert daemon.returncode == 1
    assert daemon.stderr.strip().splitlines()[-1].startswith("maas-regiond: cannot connect to the database at 127.0.0.1 port 1")
    assert "Traceback" not in daemon.stderr


@pytest.mark.parametrize("bad", ["nonsense", "3"])
def test_local_config_set_without_a_key_or_with_junk_is_an_error(tmp_path: Path, bad: str) -> None:
    result = run(tmp_path, "local_config_set", bad) if bad == "nonsense" else run(tmp_path, "local_config_set")
    assert result.returncode != 0
