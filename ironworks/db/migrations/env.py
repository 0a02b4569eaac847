"""Alembic environment: always run with a connection handed in by ironworks.db.migrate."""

from alembic import context

from ironworks.db.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
