"""initial schema, and the default objects every MAAS has

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 05:07:48.821444
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('config',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('value', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_config'))
    )
    op.create_table('domain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('authoritative', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('ttl', sa.Integer(), nullable=True),
    sa.Column('is_default', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domain')),
    sa.UniqueConstraint('name', name=op.f('uq_domain_name'))
    )
    op.create_index('uq_domain_is_default', 'domain', ['is_default'], unique=True, postgresql_where=sa.text('is_default'))
    op.create_table('fabric',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('class_type', sa.String(length=256), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fabric')),
    sa.UniqueConstraint('name', name=op.f('uq_fabric_name'))
    )
    op.create_table('resource_pool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_pool')),
    sa.UniqueConstraint('name', name=op.f('uq_resource_pool_name'))
    )
    op.create_table('space',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_space')),
    sa.UniqueConstraint('name', name=op.f('uq_space_name'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('password', sa.String(length=255), server_default='', nullable=False),
    sa.Column('is_superuser', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('is_local', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('last_login', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('zone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zone')),
    sa.UniqueConstraint('name', name=op.f('uq_zone_name'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), server_default='', nullable=False),
    sa.Column('consumer_key', sa.String(length=18), nullable=False),
    sa.Column('token_key', sa.String(length=18), nullable=False),
    sa.Column('token_secret', sa.String(length=32), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_key', name=op.f('uq_api_token_token_key'))
    )
    op.create_index(op.f('ix_api_token_user_id'), 'api_token', ['user_id'], unique=False)
    op.create_table('node',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.String(length=41), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('node_type', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=True),
    sa.Column('architecture', sa.String(length=31), nullable=True),
    sa.Column('status', sa.Integer(), server_default='0', nullable=False),
    sa.Column('status_message', sa.Text(), server_default='', nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('power_type', sa.String(length=64), server_default='', nullable=False),
    sa.Column('power_parameters', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('power_state', sa.String(length=10), server_default='unknown', nullable=False),
    sa.Column('cpu_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cpu_speed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('memory', sa.Integer(), server_default='0', nullable=False),
    sa.Column('osystem', sa.String(length=255), server_default='', nullable=False),
    sa.Column('distro_series', sa.String(length=255), server_default='', nullable=False),
    sa.Column('hwe_kernel', sa.String(length=31), nullable=True),
    sa.Column('min_hwe_kernel', sa.String(length=31), nullable=True),
    sa.Column('locked', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('netboot', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('version', sa.String(length=255), server_default='', nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('node_type BETWEEN 0 AND 4', name=op.f('ck_node_node_type_range')),
    sa.ForeignKeyConstraint(['domain_id'], ['domain.id'], name=op.f('fk_node_domain_id_domain')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_node_owner_id_user')),
    sa.ForeignKeyConstraint(['pool_id'], ['resource_pool.id'], name=op.f('fk_node_pool_id_resource_pool')),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_node_zone_id_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_node')),
    sa.UniqueConstraint('hostname', name=op.f('uq_node_hostname')),
    sa.UniqueConstraint('system_id', name=op.f('uq_node_system_id'))
    )
    op.create_index(op.f('ix_node_domain_id'), 'node', ['domain_id'], unique=False)
    op.create_index('ix_node_node_type', 'node', ['node_type'], unique=False)
    op.create_index(op.f('ix_node_owner_id'), 'node', ['owner_id'], unique=False)
    op.create_index(op.f('ix_node_pool_id'), 'node', ['pool_id'], unique=False)
    op.create_index(op.f('ix_node_zone_id'), 'node', ['zone_id'], unique=False)
    op.create_table('event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=255), nullable=False),
    sa.Column('level', sa.String(length=10), server_default='INFO', nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['node.id'], name=op.f('fk_event_node_id_node'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_event_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    op.create_index(op.f('ix_event_node_id'), 'event', ['node_id'], unique=False)
    op.create_table('service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='unknown', nullable=False),
    sa.Column('status_info', sa.Text(), server_default='', nullable=False),
    sa.Column('updated', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('unknown', 'running', 'degraded', 'dead', 'off')", name=op.f('ck_service_status_valid')),
    sa.ForeignKeyConstraint(['node_id'], ['node.id'], name=op.f('fk_service_node_id_node'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service')),
    sa.UniqueConstraint('node_id', 'name', name=op.f('uq_service_node_id_name'))
    )
    op.create_table('vlan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fabric_id', sa.Integer(), nullable=False),
    sa.Column('vid', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=True),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('mtu', sa.Integer(), server_default='1500', nullable=False),
    sa.Column('dhcp_on', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('external_dhcp', postgresql.INET(), nullable=True),
    sa.Column('primary_rack_id', sa.Integer(), nullable=True),
    sa.Column('secondary_rack_id', sa.Integer(), nullable=True),
    sa.Column('relay_vlan_id', sa.Integer(), nullable=True),
    sa.Column('space_id', sa.Integer(), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('mtu BETWEEN 552 AND 65535', name=op.f('ck_vlan_mtu_range')),
    sa.CheckConstraint('vid BETWEEN 0 AND 4094', name=op.f('ck_vlan_vid_range')),
    sa.ForeignKeyConstraint(['fabric_id'], ['fabric.id'], name=op.f('fk_vlan_fabric_id_fabric'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['primary_rack_id'], ['node.id'], name=op.f('fk_vlan_primary_rack_id_node'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['relay_vlan_id'], ['vlan.id'], name=op.f('fk_vlan_relay_vlan_id_vlan'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['secondary_rack_id'], ['node.id'], name=op.f('fk_vlan_secondary_rack_id_node'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], name=op.f('fk_vlan_space_id_space'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vlan')),
    sa.UniqueConstraint('fabric_id', 'vid', name=op.f('uq_vlan_fabric_id_vid'))
    )
    op.create_table('interface',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=20), server_default='physical', nullable=False),
    sa.Column('mac_address', postgresql.MACADDR(), nullable=True),
    sa.Column('vlan_id', sa.Integer(), nullable=True),
    sa.Column('enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['node.id'], name=op.f('fk_interface_node_id_node'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vlan_id'], ['vlan.id'], name=op.f('fk_interface_vlan_id_vlan'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interface')),
    sa.UniqueConstraint('node_id', 'name', name=op.f('uq_interface_node_id_name'))
    )
    op.create_index(op.f('ix_interface_node_id'), 'interface', ['node_id'], unique=False)
    op.create_index(op.f('ix_interface_vlan_id'), 'interface', ['vlan_id'], unique=False)
    op.create_index('uq_interface_physical_mac', 'interface', ['mac_address'], unique=True, postgresql_where=sa.text("type = 'physical'"))
    op.create_table('subnet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('cidr', postgresql.CIDR(), nullable=False),
    sa.Column('vlan_id', sa.Integer(), nullable=False),
    sa.Column('gateway_ip', postgresql.INET(), nullable=True),
    sa.Column('dns_servers', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('rdns_mode', sa.Integer(), server_default='2', nullable=False),
    sa.Column('allow_dns', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('allow_proxy', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('active_discovery', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('managed', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('disabled_boot_architectures', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['vlan_id'], ['vlan.id'], name=op.f('fk_subnet_vlan_id_vlan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subnet')),
    sa.UniqueConstraint('cidr', name=op.f('uq_subnet_cidr')),
    sa.UniqueConstraint('name', name=op.f('uq_subnet_name'))
    )
    op.create_index(op.f('ix_subnet_vlan_id'), 'subnet', ['vlan_id'], unique=False)
    op.create_table('ip_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ip', postgresql.INET(), nullable=True),
    sa.Column('alloc_type', sa.String(length=20), nullable=False),
    sa.Column('subnet_id', sa.Integer(), nullable=True),
    sa.Column('interface_id', sa.Integer(), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("alloc_type IN ('auto', 'sticky', 'user_reserved', 'dhcp', 'discovered', 'link_up')", name=op.f('ck_ip_address_alloc_type_valid')),
    sa.ForeignKeyConstraint(['interface_id'], ['interface.id'], name=op.f('fk_ip_address_interface_id_interface'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subnet_id'], ['subnet.id'], name=op.f('fk_ip_address_subnet_id_subnet'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ip_address'))
    )
    op.create_index(op.f('ix_ip_address_interface_id'), 'ip_address', ['interface_id'], unique=False)
    op.create_index(op.f('ix_ip_address_subnet_id'), 'ip_address', ['subnet_id'], unique=False)
    op.create_index('uq_ip_address_ip_assigned', 'ip_address', ['ip'], unique=True, postgresql_where=sa.text("ip IS NOT NULL AND alloc_type <> 'discovered'"))
    op.create_table('iprange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subnet_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('start_ip', postgresql.INET(), nullable=False),
    sa.Column('end_ip', postgresql.INET(), nullable=False),
    sa.Column('comment', sa.Text(), server_default='', nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("type IN ('dynamic', 'reserved')", name=op.f('ck_iprange_type_valid')),
    sa.CheckConstraint('start_ip <= end_ip', name=op.f('ck_iprange_ordered')),
    sa.ForeignKeyConstraint(['subnet_id'], ['subnet.id'], name=op.f('fk_iprange_subnet_id_subnet'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_iprange_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iprange'))
    )
    op.create_index(op.f('ix_iprange_subnet_id'), 'iprange', ['subnet_id'], unique=False)

    _seed_defaults()


def _seed_defaults() -> None:
    # The defaults keep MAAS's ids: clients call Fabric.read(id=0) for the default fabric,
    # and domain 0 / pool 0 are the defaults.  Sequences move past the explicit ids.
    op.execute("INSERT INTO domain (id, name, authoritative, is_default) VALUES (0, 'maas', true, true)")
    op.execute("INSERT INTO zone (id, name, description) VALUES (1, 'default', '')")
    op.execute("INSERT INTO resource_pool (id, name, description) "
               "VALUES (0, 'default', 'Default pool')")
    op.execute("INSERT INTO fabric (id, name) VALUES (0, 'fabric-0')")
    op.execute("INSERT INTO vlan (id, fabric_id, vid, name, mtu) VALUES (5001, 0, 0, 'untagged', 1500)")
    op.execute("SELECT setval('zone_id_seq', 1)")
    op.execute("SELECT setval('vlan_id_seq', 5001)")
    op.execute("INSERT INTO config (name, value) VALUES ('maas_name', '\"ironworks\"')")


def downgrade() -> None:
    op.drop_index(op.f('ix_iprange_subnet_id'), table_name='iprange')
    op.drop_table('iprange')
    op.drop_index('uq_ip_address_ip_assigned', table_name='ip_address', postgresql_where=sa.text("ip IS NOT NULL AND alloc_type <> 'discovered'"))
    op.drop_index(op.f('ix_ip_address_subnet_id'), table_name='ip_address')
    op.drop_index(op.f('ix_ip_address_interface_id'), table_name='ip_address')
    op.drop_table('ip_address')
    op.drop_index(op.f('ix_subnet_vlan_id'), table_name='subnet')
    op.drop_table('subnet')
    op.drop_index('uq_interface_physical_mac', table_name='interface', postgresql_where=sa.text("type = 'physical'"))
    op.drop_index(op.f('ix_interface_vlan_id'), table_name='interface')
    op.drop_index(op.f('ix_interface_node_id'), table_name='interface')
    op.drop_table('interface')
    op.drop_table('vlan')
    op.drop_table('service')
    op.drop_index(op.f('ix_event_node_id'), table_name='event')
    op.drop_table('event')
    op.drop_index(op.f('ix_node_zone_id'), table_name='node')
    op.drop_index(op.f('ix_node_pool_id'), table_name='node')
    op.drop_index(op.f('ix_node_owner_id'), table_name='node')
    op.drop_index('ix_node_node_type', table_name='node')
    op.drop_index(op.f('ix_node_domain_id'), table_name='node')
    op.drop_table('node')
    op.drop_index(op.f('ix_api_token_user_id'), table_name='api_token')
    op.drop_table('api_token')
    op.drop_table('zone')
    op.drop_table('user')
    op.drop_table('space')
    op.drop_table('resource_pool')
    op.drop_table('fabric')
    op.drop_index('uq_domain_is_default', table_name='domain', postgresql_where=sa.text('is_default'))
    op.drop_table('domain')
    op.drop_table('config')
