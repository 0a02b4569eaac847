"""Fixtures: one real PostgreSQL per test process; a real region per test module."""

from __future__ import annotations

import shutil
from typing import Iterator

import pytest

from ironworks.lab.harness import APIClient, Cluster, Region, start_region

# The `admin` fixture of the `maas` client tests (tests/test_cli_maas.py keeps its own).
pytest_plugins = ["tests.maascli"]


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    c = Cluster()
    try:
        yield c
    finally:
        c.destroy()


@pytest.fixture(scope="module")
def region(cluster: Cluster) -> Iterator[Region]:
    """A region on its own fresh database, shared by the tests of one module."""
    r = start_region(cluster)
    try:
        yield r
    finally:
        r.stop()
        shutil.rmtree(r.home, ignore_errors=True)


@pytest.fixture(scope="module")
def api(region: Region) -> APIClient:
    """The administrator's client."""
    return region.client()


@pytest.fixture(scope="module")
def user_api(region: Region) -> APIClient:
    """A non-administrator's client."""
    return region.create_user("alice", admin=False)


@pytest.fixture(scope="module")
def anon(region: Region) -> APIClient:
    return region.client(None)
