"""The Alembic migrations build exactly the schema the code declares (tables.py)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ironworks.db.connect import Target, sync_engine
from ironworks.db.migrate import code_head, migrate
from ironworks.db.tables import metadata
from ironworks.lab.harness import DB_PASSWORD, Cluster


def test_migrations_match_the_declared_tables(cluster: Cluster) -> None:
    dbname = cluster.new_database()
    target = Target("127.0.0.1", cluster.pg.port, dbname, "maas", DB_PASSWORD)
    assert migrate(target) == (None, code_head())
    engine = sync_engine(target)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()
    defaults = cluster.sql(dbname, "SELECT (SELECT name FROM domain WHERE is_default), "
                                   "(SELECT name FROM zone WHERE id = 1), (SELECT name FROM resource_pool WHERE id = 0), "
                                   "(SELECT name FROM fabric WHERE id = 0), (SELECT vid FROM vlan WHERE id = 5001)")
    assert defaults == [("maas", "default", "default", "fabric-0", 0)]
