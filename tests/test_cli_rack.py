"""`maas-rack register|config`, `maas init rack`, rackd.conf and the rack's state files."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ironworks.common.config import ConfigError
from ironworks.rack.config import RackConfig
from ironworks.rack.state import RackState

BIN = Path(sys.executable).parent
SECRET = "00112233445566778899aabbccddeeff"


def run(tmp_path: Path, *args: str, input: str | None = None, command: str = "maas-rack") -> subprocess.CompletedProcess:
    env = {**os.environ, "MAAS_CLUSTER_CONFIG": str(tmp_path / "etc" / "rackd.conf"),
           "MAAS_DATA": str(tmp_path / "data"), "HOME": str(tmp_path)}
    # stdin is never the test runner's terminal: no prompt can hang a test
    stdin = None if input is not None else subprocess.DEVNULL
    return subprocess.run([str(BIN / command), *args], env=env, capture_output=True, text=True,
                          input=input, stdin=stdin, timeout=60)


def conf(tmp_path: Path) -> dict:
    return yaml.safe_load((tmp_path / "etc" / "rackd.conf").read_text())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def a_registered_rack(tmp_path: Path) -> RackState:
    state = RackState(tmp_path / "data")
    state.set_system_id("abc123")
    state.set_cluster_uuid("0b8a0a52-5a0e-4c38-9a3e-7c0d3a7e1f00")
    state.cache_endpoints([("10.0.0.9", 5240)])
    return state


def test_register_writes_the_urls_and_the_secret_and_forgets_the_old_identity(tmp_path: Path) -> None:
    state = a_registered_rack(tmp_path)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "rackd.conf").write_text("maas_url: http://old:5240/MAAS\ntftp_port: 69\n")
    result = run(tmp_path, "register", "--url", "http://10.0.0.1:5240/MAAS/", "--url", "http://10.0.0.2:5240",
                 "--secret", SECRET.upper())
    assert result.returncode == 0, result.stderr
    assert conf(tmp_path) == {"maas_url": ["http://10.0.0.1:5240/MAAS", "http://10.0.0.2:5240/MAAS"],
                              "tftp_port": 69}  # a key of an older MAAS is kept
    assert mode(tmp_path / "etc" / "rackd.conf") == 0o640
    assert (tmp_path / "data" / "secret").read_text().strip() == SECRET
    assert mode(tmp_path / "data" / "secret") == 0o600
    assert state.secret() == bytes.fromhex(SECRET)
    assert (state.system_id(), state.cluster_uuid(), state.cached_endpoints()) == (None, None, [])
    for said in (str(tmp_path / "etc" / "rackd.conf"), str(tmp_path / "data" / "secret"),
                 "http://10.0.0.1:5240/MAAS", "abc123", "maas-rackd"):
        assert said in result.stdout


def test_the_secret_can_come_from_stdin(tmp_path: Path) -> None:
    result = run(tmp_path, "register", "--url", "http://region/MAAS", input=SECRET + "\n")
    assert result.returncode == 0, result.stderr
    assert RackState(tmp_path / "data").secret() == bytes.fromhex(SECRET)
    assert conf(tmp_path) == {"maas_url": ["http://region/MAAS"]}


@pytest.mark.parametrize("args, reason", [
    (["--url", "http://region/MAAS", "--secret", "not-hex"], "hexadecimal"),
    (["--url", "http://region/MAAS", "--secret", "0011"], "at least 32"),
    (["--url", "region.example", "--secret", SECRET], "region.example"),
    (["--url", "ftp://region/MAAS", "--secret", SECRET], "http"),
    (["--url", "http://region:99999/MAAS", "--secret", SECRET], "not a valid URL"),
    (["--url", "http://region/MAAS"], "no shared secret"),  # and stdin empty
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, args: list[str], reason: str) -> None:
    state = a_registered_rack(tmp_path)
    result = run(tmp_path, "register", *args)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and reason in result.stderr, result.stderr
    assert not (tmp_path / "etc" / "rackd.conf").exists()
    assert not state.secret_path.exists()
    assert state.system_id() == "abc123" and state.cached_endpoints() == [("10.0.0.9", 5240)]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, "register", "--secret", SECRET)
    assert result.returncode == 2 and "--url" in result.stderr
    assert run(tmp_path).returncode == 2


def test_an_unwritable_config_location_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "etc").write_text("a file where the directory should be\n")
    result = run(tmp_path, "register", "--url", "http://region/MAAS", "--secret", SECRET)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "rackd.conf" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unusable_data_directory_leaves_rackd_conf_as_it_was(tmp_path: Path) -> None:
    """Both files or neither: a rack must not end up pointed at new regions with an old secret."""
    assert run(tmp_path, "register", "--url", "http://old-region/MAAS", "--secret", SECRET).returncode == 0
    (tmp_path / "data" / "secret").unlink()
    (tmp_path / "data" / "maas_id").write_text("abc123\n")
    shutil.rmtree(tmp_path / "data")
    (tmp_path / "data").write_text("a file where the data directory should be\n")
    result = run(tmp_path, "register", "--url", "http://new-region/MAAS", "--secret", "ff" * 16)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and str(tmp_path / "data") in result.stderr
    assert conf(tmp_path)["maas_url"] == ["http://old-region/MAAS"]


def test_config_shows_and_replaces_the_urls(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "rackd.conf").write_text("maas_url: http://old:5240/MAAS/\n")  # as older MAAS wrote
    assert run(tmp_path, "config").stdout == "http://old:5240/MAAS\n"
    changed = run(tmp_path, "config", "--region-url", "http://a:5240", "--region-url", "https://b/x/MAAS")
    assert changed.returncode == 0
    assert "http://old:5240/MAAS" in changed.stdout and "https://b/x/MAAS" in changed.stdout
    assert conf(tmp_path) == {"maas_url": ["http://a:5240/MAAS", "https://b/x/MAAS"]}
    assert run(tmp_path, "config").stdout.split() == ["http://a:5240/MAAS", "https://b/x/MAAS"]
    bad = run(tmp_path, "config", "--region-url", "nonsense")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
    assert conf(tmp_path)["maas_url"] == ["http://a:5240/MAAS", "https://b/x/MAAS"]


def test_a_broken_rackd_conf_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "rackd.conf").write_text("maas_url: [unclosed\n")
    result = run(tmp_path, "config")
    assert result.returncode == 1 and "not valid YAML" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "etc" / "rackd.conf").write_text("maas_url: gopher://x\n")
    result = run(tmp_path, "register", "--url", "http://region/MAAS", "--secret", SECRET)
    assert result.returncode == 1 and "maas_url" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "data" / "secret").exists()


def test_maas_init_rack_is_the_same_registration(tmp_path: Path) -> None:
    state = a_registered_rack(tmp_path)
    result = run(tmp_path, "init", "rack", "--maas-url", "http://10.0.0.1:5240/MAAS", "--maas-url",
                 "http://10.0.0.2:5240/MAAS", "--secret", SECRET, command="maas")
    assert result.returncode == 0, result.stderr
    assert conf(tmp_path) == {"maas_url": ["http://10.0.0.1:5240/MAAS", "http://10.0.0.2:5240/MAAS"]}
    assert mode(state.secret_path) == 0o600 and state.secret() == bytes.fromhex(SECRET)
    assert state.system_id() is None
    bad = run(tmp_path, "init", "rack", "--maas-url", "http://x/MAAS", "--secret", "zz", command="maas")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "hexadecimal" in bad.stderr
    assert run(tmp_path, "init", "rack", "--secret", SECRET, command="maas").returncode == 2
    assert run(tmp_path, "list", command="maas").returncode == 0  # the built-ins still parse


# --- the files, as the daemon reads them ------------------------------------------------------

def test_rack_config_accepts_one_url_or_many() -> None:
    assert RackConfig.model_validate({"maas_url": "http://r:5240/"}).maas_url == ["http://r:5240/MAAS"]
    assert RackConfig.model_validate({}).maas_url == []
    assert RackConfig.model_validate({"maas_url": ["http://r/MAAS", "http://r/MAAS/"]}).maas_url == ["http://r/MAAS"]


def test_a_malformed_secret_file_names_its_path(tmp_path: Path) -> None:
    state = RackState(tmp_path)
    assert state.secret() is None
    state.secret_path.write_text("not a secret\n")
    with pytest.raises(ConfigError, match=str(state.secret_path)):
        state.secret()
    with pytest.raises(ValueError):
        state.write_secret("short")


def test_the_endpoint_cache_round_trips_and_a_corrupt_one_is_ignored(tmp_path: Path) -> None:
    state = RackState(tmp_path)
    assert state.cached_endpoints() == []
    state.cache_endpoints([("10.0.0.1", 5240), ("fd00::1", 5240), ("10.0.0.1", 5240)])
    assert state.cached_endpoints() == [("10.0.0.1", 5240), ("fd00::1", 5240)]
    for junk in ("{not json", '{"a": 1}', '[["10.0.0.1", "5240"]]', "\xff"):
        state.cache_path.write_text(junk)
        assert state.cached_endpoints() == []


def test_wipe_forgets_everything_forget_identity_keeps_the_secret(tmp_path: Path) -> None:
    state = a_registered_rack(tmp_path)
    state.write_secret(SECRET)
    state.forget_identity()
    assert state.secret() == bytes.fromhex(SECRET) and state.system_id() is None
    state.set_system_id("again")
    state.wipe()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == []
