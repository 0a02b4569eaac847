"""region processes and their endpoints (liveness heartbeats)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "region_process",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), server_default="1", nullable=False),
        sa.Column("connections", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["node.id"], name=op.f("fk_region_process_node_id_node"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_process")),
        sa.UniqueConstraint("node_id", "pid", name=op.f("uq_region_process_node_id_pid")),
    )
    op.create_index(op.f("ix_region_process_node_id"), "region_process", ["node_id"], unique=False)
    op.create_table(
        "region_process_endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("address", postgresql.INET(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["process_id"], ["region_process.id"],
                                name=op.f("fk_region_process_endpoint_process_id_region_process"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_process_endpoint")),
        sa.UniqueConstraint("process_id", "address", "port", name=op.f("uq_region_process_endpoint_process_id_address_port")),
    )
    op.create_index(op.f("ix_region_process_endpoint_process_id"), "region_process_endpoint", ["process_id"], unique=False)


def downgrade() -> None:
    op.drop_table("region_process_endpoint")
    op.drop_table("region_process")
