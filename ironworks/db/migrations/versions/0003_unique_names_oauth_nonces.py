"""case-insensitive uniqueness the database enforces (hostnames, domain names, e-mail
addresses), and the OAuth nonces every region has seen

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from ironworks.common.config import ConfigError

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# What must be unique ignoring case, as the services check it: (table, expression, label).
_CASE_INSENSITIVE = (
    ("node", "lower(hostname)", "hostname"),
    ("domain", "lower(name)", "domain name"),
    ('"user"', "lower(email) WHERE email <> ''", "e-mail address"),
)


def _refuse_existing_duplicates() -> None:
    """Before any change: a unique index cannot be built over rows that a race already
    duplicated, and the operator must choose which to rename (we cannot)."""
    conn = op.get_bind()
    for table, expression, label in _CASE_INSENSITIVE:
        value, _, where = expression.partition(" WHERE ")
        clashes = conn.execute(sa.text(
            f"SELECT {value} FROM {table} {'WHERE ' + where if where else ''} "
            f"GROUP BY {value} HAVING count(*) > 1 ORDER BY 1 LIMIT 5")).scalars().all()
        if clashes:
            raise ConfigError(
                f"cannot upgrade the schema: these {label}s are used more than once (ignoring "
                f"case): {', '.join(clashes)}; rename all but one of each, then run the migration again")


def upgrade() -> None:
    _refuse_existing_duplicates()
    # The case-insensitive unique index replaces the exact one; a plain index keeps exact
    # hostname lookups (machine filters) fast.
    op.drop_constraint("uq_node_hostname", "node", type_="unique")
    op.create_index("uq_node_hostname", "node", [sa.text("lower(hostname)")], unique=True)
    op.create_index(op.f("ix_node_hostname"), "node", ["hostname"], unique=False)
    op.drop_constraint("uq_domain_name", "domain", type_="unique")
    op.create_index("uq_domain_name", "domain", [sa.text("lower(name)")], unique=True)
    op.create_index("uq_user_email", "user", [sa.text("lower(email)")], unique=True,
                    postgresql_where=sa.text("email <> ''"))
    op.create_table(
        "oauth_nonce",
        sa.Column("consumer_key", sa.String(length=18), nullable=False),
        sa.Column("token_key", sa.String(length=18), nullable=False),
        sa.Column("nonce", sa.String(length=255), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request", sa.String(length=64), nullable=True),
        sa.Column("uses", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("consumer_key", "token_key", "nonce", name=op.f("pk_oauth_nonce")),
    )
    op.create_index(op.f("ix_oauth_nonce_expires"), "oauth_nonce", ["expires"], unique=False)


def downgrade() -> None:
    op.drop_table("oauth_nonce")
    op.drop_index("uq_user_email", table_name="user")
    op.drop_index("uq_domain_name", table_name="domain")
    op.create_unique_constraint("uq_domain_name", "domain", ["name"])
    op.drop_index("ix_node_hostname", table_name="node")
    op.drop_index("uq_node_hostname", table_name="node")
    op.create_unique_constraint("uq_node_hostname", "node", ["hostname"])
