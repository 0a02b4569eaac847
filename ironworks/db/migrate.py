"""Schema migrations: Alembic, applied under a cluster-wide advisory lock so that two regions
starting at once never race."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from ironworks.common.config import ConfigError
from ironworks.db.connect import Target, sync_engine

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_lock key for schema changes ("iw-migrate" folded into a bigint).
MIGRATION_LOCK = 0x69772D6D696772


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def code_head() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def database_revision(connection) -> str | None:  # noqa: ANN001
    return MigrationContext.configure(connection).get_current_revision()


def check_compatible(revision: str | None) -> None:
    """Refuse a database whose schema is newer than (unknown to) this code."""
    if revision is None:
        return
    script = ScriptDirectory.from_config(_alembic_config())
    try:
        script.get_revision(revision)
    except Exception:
        raise ConfigError(
            f"the database schema is at revision {revision}, which this ironworks "
            f"(schema {code_head()}) does not know: upgrade this region's software first"
        ) from None


def migrate(target: Target) -> tuple[str | None, str]:
    """Bring the schema to this code's head.  Returns (revision before, revision after)."""
    engine = sync_engine(target)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            try:
                before = database_revision(conn)
                check_compatible(before)
                conn.commit()
                cfg = _alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
                return before, database_revision(conn) or ""
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()
    finally:
        engine.dispose()
