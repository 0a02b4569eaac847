"""rack channel connections (rack ↔ region process)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rack_connection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("remote", sa.String(length=255), server_default="", nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["node.id"], name=op.f("fk_rack_connection_node_id_node"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["process_id"], ["region_process.id"],
                                name=op.f("fk_rack_connection_process_id_region_process"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rack_connection")),
    )
    op.create_index(op.f("ix_rack_connection_node_id"), "rack_connection", ["node_id"], unique=False)
    op.create_index(op.f("ix_rack_connection_process_id"), "rack_connection", ["process_id"], unique=False)


def downgrade() -> None:
    op.drop_table("rack_connection")
