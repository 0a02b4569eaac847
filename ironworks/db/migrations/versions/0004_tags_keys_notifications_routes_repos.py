"""tags, SSH keys, notifications, static routes, package repositories (with the Ubuntu archives)

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _created() -> sa.Column:
    return sa.Column("created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("definition", sa.Text(), server_default="", nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("kernel_opts", sa.Text(), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("name", name=op.f("uq_tag_name")),
    )
    op.create_table(
        "node_tag",
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        _fk("node_tag", "node_id", "node"),
        _fk("node_tag", "tag_id", "tag"),
        sa.PrimaryKeyConstraint("node_id", "tag_id", name=op.f("pk_node_tag")),
    )
    op.create_index(op.f("ix_node_tag_tag_id"), "node_tag", ["tag_id"], unique=False)
    op.create_table(
        "sshkey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        _created(),
        _fk("sshkey", "user_id", "user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sshkey")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_sshkey_user_id_key")),
    )
    op.create_index(op.f("ix_sshkey_user_id"), "sshkey", ["user_id"], unique=False)
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ident", sa.String(length=40), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("users", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("admins", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("context", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"),
                  nullable=False),
        sa.Column("category", sa.String(length=10), server_default="info", nullable=False),
        sa.Column("dismissable", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _created(),
        sa.Column("updated", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("category IN ('error', 'warning', 'success', 'info')",
                           name=op.f("ck_notification_category_valid")),
        _fk("notification", "user_id", "user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index(op.f("ix_notification_user_id"), "notification", ["user_id"], unique=False)
    op.create_table(
        "notification_dismissal",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _created(),
        _fk("notification_dismissal", "notification_id", "notification"),
        _fk("notification_dismissal", "user_id", "user"),
        sa.PrimaryKeyConstraint("notification_id", "user_id", name=op.f("pk_notification_dismissal")),
    )
    op.create_index(op.f("ix_notification_dismissal_user_id"), "notification_dismissal", ["user_id"],
                    unique=False)
    op.create_table(
        "static_route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("gateway_ip", postgresql.INET(), nullable=False),
        sa.Column("metric", sa.Integer(), server_default="0", nullable=False),
        _created(),
        sa.CheckConstraint("metric >= 0", name=op.f("ck_static_route_metric_positive")),
        _fk("static_route", "source_id", "subnet"),
        _fk("static_route", "destination_id", "subnet"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_static_route")),
        sa.UniqueConstraint("source_id", "destination_id", "gateway_ip",
                            name=op.f("uq_static_route_source_id_destination_id_gateway_ip")),
    )
    op.create_index(op.f("ix_static_route_source_id"), "static_route", ["source_id"], unique=False)
    op.create_index(op.f("ix_static_route_destination_id"), "static_route", ["destination_id"], unique=False)
    op.create_table(
        "package_repository",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=41), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        *[sa.Column(name, postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False)
          for name in ("distributions", "disabled_pockets", "disabled_components")],
        sa.Column("disable_sources", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        *[sa.Column(name, postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False)
          for name in ("components", "arches")],
        sa.Column("key", sa.Text(), server_default="", nullable=False),
        sa.Column("default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_repository")),
        sa.UniqueConstraint("name", name=op.f("uq_package_repository_name")),
    )
    # The Ubuntu archives every MAAS has, as MAAS names them: x86 from the main archive,
    # the other architectures from the ports archive.
    op.execute("INSERT INTO package_repository (name, url, arches, \"default\") VALUES "
               "('main_archive', 'http://archive.ubuntu.com/ubuntu', '{amd64,i386}', true), "
               "('ports_archive', 'http://ports.ubuntu.com/ubuntu-ports', "
               "'{armhf,arm64,ppc64el,s390x}', true)")


def downgrade() -> None:
    op.drop_table("package_repository")
    op.drop_table("static_route")
    op.drop_table("notification_dismissal")
    op.drop_table("notification")
    op.drop_table("sshkey")
    op.drop_table("node_tag")
    op.drop_table("tag")
