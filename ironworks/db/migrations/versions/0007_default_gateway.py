"""a node's default gateway links, one per address family

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FAMILIES = ("ipv4", "ipv6")


def upgrade() -> None:
    for family in FAMILIES:
        column = f"gateway_link_{family}_id"
        op.add_column("node", sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(f"fk_node_{column}_ip_address"), "node", "ip_address", [column], ["id"],
                              ondelete="SET NULL")
        # Deleting an address clears the choice: the index keeps that from scanning every node.
        op.create_index(op.f(f"ix_node_{column}"), "node", [column], unique=False)


def downgrade() -> None:
    for family in FAMILIES:
        column = f"gateway_link_{family}_id"
        op.drop_index(op.f(f"ix_node_{column}"), table_name="node")
        op.drop_constraint(op.f(f"fk_node_{column}_ip_address"), "node", type_="foreignkey")
        op.drop_column("node", column)
