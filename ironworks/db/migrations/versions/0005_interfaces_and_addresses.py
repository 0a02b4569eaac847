"""interface parents and children; who holds a reserved address, its hostname and MAC

Revision ID: 0005
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ip_address", sa.Column("user_id", sa.Integer(), nullable=True))
    op.add_column("ip_address", sa.Column("hostname", sa.String(255), server_default="", nullable=False))
    op.add_column("ip_address", sa.Column("mac_address", postgresql.MACADDR(), nullable=True))
    op.create_foreign_key(op.f("fk_ip_address_user_id_user"), "ip_address", "user", ["user_id"], ["id"],
                          ondelete="SET NULL")
    op.create_index(op.f("ix_ip_address_user_id"), "ip_address", ["user_id"], unique=False)
    op.create_table(
        "interface_relationship",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["interface.id"],
                                name=op.f("fk_interface_relationship_parent_id_interface"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["child_id"], ["interface.id"],
                                name=op.f("fk_interface_relationship_child_id_interface"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interface_relationship")),
        sa.UniqueConstraint("parent_id", "child_id", name=op.f("uq_interface_relationship_parent_id_child_id")),
    )
    op.create_index(op.f("ix_interface_relationship_parent_id"), "interface_relationship", ["parent_id"])
    op.create_index(op.f("ix_interface_relationship_child_id"), "interface_relationship", ["child_id"])


def downgrade() -> None:
    op.drop_table("interface_relationship")
    op.drop_index(op.f("ix_ip_address_user_id"), table_name="ip_address")
    op.drop_constraint(op.f("fk_ip_address_user_id_user"), "ip_address", type_="foreignkey")
    op.drop_column("ip_address", "mac_address")
    op.drop_column("ip_address", "hostname")
    op.drop_column("ip_address", "user_id")
