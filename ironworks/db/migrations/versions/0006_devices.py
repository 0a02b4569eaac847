"""devices: a node's parent and its owner data

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("node", sa.Column("parent_id", sa.Integer(), nullable=True))
    op.add_column("node", sa.Column("owner_data", postgresql.JSONB(astext_type=sa.Text()),
                                    server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.create_foreign_key(op.f("fk_node_parent_id_node"), "node", "node", ["parent_id"], ["id"],
                          ondelete="CASCADE")
    op.create_index(op.f("ix_node_parent_id"), "node", ["parent_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_node_parent_id"), table_name="node")
    op.drop_constraint(op.f("fk_node_parent_id_node"), "node", type_="foreignkey")
    op.drop_column("node", "owner_data")
    op.drop_column("node", "parent_id")
