"""The schema, as SQLAlchemy Core tables.  Alembic migrations create it; queries use it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, CIDR, INET, JSONB, MACADDR

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _created() -> Column:
    return Column("created", DateTime(timezone=True), nullable=False, server_default=func.now())


def _updated() -> Column:
    return Column("updated", DateTime(timezone=True), nullable=False, server_default=func.now())


user = Table(
    "user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(150), nullable=False, unique=True),
    Column("email", String(254), nullable=False, server_default=""),
    Column("password", String(255), nullable=False, server_default=""),
    Column("is_superuser", Boolean, nullable=False, server_default=text("false")),
    Column("is_local", Boolean, nullable=False, server_default=text("true")),
    Column("last_login", DateTime(timezone=True)),
    _created(),
    # Case-insensitive and only when given, as the users service checks it serially.
    Index("uq_user_email", func.lower(text("email")), unique=True, postgresql_where=text("email <> ''")),
)

api_token = Table(
    "api_token",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(255), nullable=False, server_default=""),
    Column("consumer_key", String(18), nullable=False),
    Column("token_key", String(18), nullable=False, unique=True),
    Column("token_secret", String(32), nullable=False),
    _created(),
)

config = Table(
    "config",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("value", JSONB),
)

domain = Table(
    "domain",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(256), nullable=False),
    Column("authoritative", Boolean, nullable=False, server_default=text("true")),
    Column("ttl", Integer),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    _created(),
    # DNS names ignore case: `Example.com` and `example.com` are one domain.
    Index("uq_domain_name", func.lower(text("name")), unique=True),
    Index("uq_domain_is_default", "is_default", unique=True, postgresql_where=text("is_default")),
)

zone = Table(
    "zone",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    _created(),
)

resource_pool = Table(
    "resource_pool",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    _created(),
)

space = Table(
    "space",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    _created(),
)

fabric = Table(
    "fabric",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("class_type", String(256)),
    _created(),
)

node = Table(
    "node",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("system_id", String(41), nullable=False, unique=True),
    Column("hostname", String(255), nullable=False, index=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("node_type", Integer, nullable=False),
    Column("domain_id", Integer, ForeignKey("domain.id"), nullable=False, index=True),
    Column("zone_id", Integer, ForeignKey("zone.id"), nullable=False, index=True),
    Column("pool_id", Integer, ForeignKey("resource_pool.id"), index=True),
    Column("architecture", String(31)),
    Column("status", Integer, nullable=False, server_default="0"),
    Column("status_message", Text, nullable=False, server_default=""),
    Column("owner_id", Integer, ForeignKey("user.id"), index=True),
    Column("power_type", String(64), nullable=False, server_default=""),
    Column("power_parameters", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("power_state", String(10), nullable=False, server_default="unknown"),
    Column("cpu_count", Integer, nullable=False, server_default="0"),
    Column("cpu_speed", Integer, nullable=False, server_default="0"),
    Column("memory", Integer, nullable=False, server_default="0"),
    Column("osystem", String(255), nullable=False, server_default=""),
    Column("distro_series", String(255), nullable=False, server_default=""),
    Column("hwe_kernel", String(31)),
    Column("min_hwe_kernel", String(31)),
    Column("locked", Boolean, nullable=False, server_default=text("false")),
    Column("netboot", Boolean, nullable=False, server_default=text("true")),
    Column("version", String(255), nullable=False, server_default=""),
    # The links (`ip_address` rows) whose subnets' gateways the node routes through by default,
    # one per family (`set_default_gateway`); unlinking clears the choice.  use_alter: ip_address
    # is declared after node and refers to it through interface.
    Column("gateway_link_ipv4_id", Integer, ForeignKey("ip_address.id", ondelete="SET NULL", use_alter=True),
           index=True),
    Column("gateway_link_ipv6_id", Integer, ForeignKey("ip_address.id", ondelete="SET NULL", use_alter=True),
           index=True),
    # A device's parent (the machine or controller it hangs off); deleting the parent deletes it.
    Column("parent_id", Integer, ForeignKey("node.id", ondelete="CASCADE"), index=True),
    # Key/value pairs the owner keeps on the node (`set_owner_data`), all strings.
    Column("owner_data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _created(),
    _updated(),
    CheckConstraint("node_type BETWEEN 0 AND 4", name="node_type_range"),
    Index("ix_node_node_type", "node_type"),
    # Hostnames are DNS labels, which ignore case; the plain index serves exact lookups.
    Index("uq_node_hostname", func.lower(text("hostname")), unique=True),
)

vlan = Table(
    "vlan",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fabric_id", Integer, ForeignKey("fabric.id", ondelete="CASCADE"), nullable=False),
    Column("vid", Integer, nullable=False),
    Column("name", String(256)),
    Column("description", Text, nullable=False, server_default=""),
    Column("mtu", Integer, nullable=False, server_default="1500"),
    Column("dhcp_on", Boolean, nullable=False, server_default=text("false")),
    Column("external_dhcp", INET),
    Column("primary_rack_id", Integer, ForeignKey("node.id", ondelete="SET NULL")),
    Column("secondary_rack_id", Integer, ForeignKey("node.id", ondelete="SET NULL")),
    Column("relay_vlan_id", Integer, ForeignKey("vlan.id", ondelete="SET NULL")),
    Column("space_id", Integer, ForeignKey("space.id", ondelete="SET NULL")),
    _created(),
    UniqueConstraint("fabric_id", "vid"),
    CheckConstraint("vid BETWEEN 0 AND 4094", name="vid_range"),
    CheckConstraint("mtu BETWEEN 552 AND 65535", name="mtu_range"),
)

subnet = Table(
    "subnet",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("cidr", CIDR, nullable=False, unique=True),
    Column("vlan_id", Integer, ForeignKey("vlan.id"), nullable=False, index=True),
    Column("gateway_ip", INET),
    Column("dns_servers", ARRAY(Text), nullable=False, server_default="{}"),
    Column("rdns_mode", Integer, nullable=False, server_default="2"),
    Column("allow_dns", Boolean, nullable=False, server_default=text("true")),
    Column("allow_proxy", Boolean, nullable=False, server_default=text("true")),
    Column("active_discovery", Boolean, nullable=False, server_default=text("false")),
    Column("managed", Boolean, nullable=False, server_default=text("true")),
    Column("disabled_boot_architectures", ARRAY(Text), nullable=False, server_default="{}"),
    _created(),
)

iprange = Table(
    "iprange",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subnet_id", Integer, ForeignKey("subnet.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("type", String(20), nullable=False),
    Column("start_ip", INET, nullable=False),
    Column("end_ip", INET, nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("user_id", Integer, ForeignKey("user.id", ondelete="SET NULL")),
    _created(),
    CheckConstraint("type IN ('dynamic', 'reserved')", name="type_valid"),
    CheckConstraint("start_ip <= end_ip", name="ordered"),
)

interface = Table(
    "interface",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("node_id", Integer, ForeignKey("node.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("type", String(20), nullable=False, server_default="physical"),
    Column("mac_address", MACADDR),
    Column("vlan_id", Integer, ForeignKey("vlan.id", ondelete="SET NULL"), index=True),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("params", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _created(),
    UniqueConstraint("node_id", "name"),
    Index(
        "uq_interface_physical_mac",
        "mac_address",
        unique=True,
        postgresql_where=text("type = 'physical'"),
    ),
)

# One row per address: a link of an interface (sticky/auto/dhcp/link_up) or a discovered address.
ip_address = Table(
    "ip_address",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ip", INET),
    Column("alloc_type", String(20), nullable=False),
    Column("subnet_id", Integer, ForeignKey("subnet.id", ondelete="CASCADE"), index=True),
    Column("interface_id", Integer, ForeignKey("interface.id", ondelete="CASCADE"), index=True),
    _created(),
    # A user's reservation (`ipaddresses reserve`): who holds it, and the name and MAC that DNS
    # and DHCP give it when no interface of a node carries it.
    Column("user_id", Integer, ForeignKey("user.id", ondelete="SET NULL"), index=True),
    Column("hostname", String(255), nullable=False, server_default=""),
    Column("mac_address", MACADDR),
    CheckConstraint(
        "alloc_type IN ('auto', 'sticky', 'user_reserved', 'dhcp', 'discovered', 'link_up')",
        name="alloc_type_valid",
    ),
    Index(
        "uq_ip_address_ip_assigned",
        "ip",
        unique=True,
        postgresql_where=text("ip IS NOT NULL AND alloc_type <> 'discovered'"),
    ),
)

service = Table(
    "service",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("node_id", Integer, ForeignKey("node.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("status", String(10), nullable=False, server_default="unknown"),
    Column("status_info", Text, nullable=False, server_default=""),
    _updated(),
    UniqueConstraint("node_id", "name"),
    CheckConstraint("status IN ('unknown', 'running', 'degraded', 'dead', 'off')", name="status_valid"),
)

event = Table(
    "event",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("node_id", Integer, ForeignKey("node.id", ondelete="CASCADE"), index=True),
    Column("type", String(255), nullable=False),
    Column("level", String(10), nullable=False, server_default="INFO"),
    Column("description", Text, nullable=False, server_default=""),
    Column("user_id", Integer, ForeignKey("user.id", ondelete="SET NULL")),
    _created(),
)


# One row per running region worker process; `updated` is its heartbeat (database clock).
region_process = Table(
    "region_process",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("node_id", Integer, ForeignKey("node.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("pid", Integer, nullable=False),
    # How many worker processes this region runs (so others can tell "degraded").
    Column("expected", Integer, nullable=False, server_default="1"),
    # Connections this process may hold (pool + dedicated), for the cluster budget.
    Column("connections", Integer, nullable=False, server_default="0"),
    _created(),
    _updated(),
    UniqueConstraint("node_id", "pid"),
)

region_process_endpoint = Table(
    "region_process_endpoint",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("process_id", Integer, ForeignKey("region_process.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("address", INET, nullable=False),
    Column("port", Integer, nullable=False),
    UniqueConstraint("process_id", "address", "port"),
)


# One row per live rack channel: which region process holds a connection from which rack.  The
# rows go with the process (cascade), so a reaped region drops its racks' connections at once.
rack_connection = Table(
    "rack_connection",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("node_id", Integer, ForeignKey("node.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("process_id", Integer, ForeignKey("region_process.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("remote", String(255), nullable=False, server_default=""),  # the rack's address as seen
    _created(),
)


# A bond, bridge or VLAN interface (the child) sits on its parents.
interface_relationship = Table(
    "interface_relationship",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("interface.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("child_id", Integer, ForeignKey("interface.id", ondelete="CASCADE"), nullable=False, index=True),
    UniqueConstraint("parent_id", "child_id"),
)


# The OAuth nonces accepted while their timestamp is still valid, so that no region accepts a
# signed request twice; rows past `expires` are purged as new ones arrive (region/api/auth.py).
oauth_nonce = Table(
    "oauth_nonce",
    metadata,
    Column("consumer_key", String(18), primary_key=True),
    Column("token_key", String(18), primary_key=True),
    Column("nonce", String(255), primary_key=True),
    Column("expires", DateTime(timezone=True), nullable=False, index=True),
    # A safe request's digest (GET/HEAD: method, path, query) and how often it came: the front
    # door may re-send the same GET to another region (region/api/auth.py).
    Column("request", String(64), nullable=True),
    Column("uses", SmallInteger, nullable=False, server_default=text("1")),
)


# -- tags, SSH keys, notifications, static routes, package repositories (migration 0004) --

tag = Table(
    "tag",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    # An XPath over hardware details, stored for when commissioning evaluates it.
    Column("definition", Text, nullable=False, server_default=""),
    Column("comment", Text, nullable=False, server_default=""),
    Column("kernel_opts", Text),
    _created(),
)

node_tag = Table(
    "node_tag",
    metadata,
    Column("node_id", Integer, ForeignKey("node.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)

sshkey = Table(
    "sshkey",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("key", Text, nullable=False),
    _created(),
    UniqueConstraint("user_id", "key"),
)

notification = Table(
    "notification",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ident", String(40)),
    # Whom it is for: one user, every user, every administrator (any combination).
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), index=True),
    Column("users", Boolean, nullable=False, server_default=text("false")),
    Column("admins", Boolean, nullable=False, server_default=text("false")),
    Column("message", Text, nullable=False),
    Column("context", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("category", String(10), nullable=False, server_default="info"),
    Column("dismissable", Boolean, nullable=False, server_default=text("true")),
    _created(),
    _updated(),
    CheckConstraint("category IN ('error', 'warning', 'success', 'info')", name="category_valid"),
)

notification_dismissal = Table(
    "notification_dismissal",
    metadata,
    Column("notification_id", Integer, ForeignKey("notification.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
    _created(),
)

static_route = Table(
    "static_route",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("subnet.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("destination_id", Integer, ForeignKey("subnet.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("gateway_ip", INET, nullable=False),
    Column("metric", Integer, nullable=False, server_default="0"),
    _created(),
    UniqueConstraint("source_id", "destination_id", "gateway_ip"),
    CheckConstraint("metric >= 0", name="metric_positive"),
)

package_repository = Table(
    "package_repository",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(41), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("distributions", ARRAY(Text), nullable=False, server_default="{}"),
    Column("disabled_pockets", ARRAY(Text), nullable=False, server_default="{}"),
    Column("disabled_components", ARRAY(Text), nullable=False, server_default="{}"),
    Column("disable_sources", Boolean, nullable=False, server_default=text("true")),
    Column("components", ARRAY(Text), nullable=False, server_default="{}"),
    Column("arches", ARRAY(Text), nullable=False, server_default="{}"),
    Column("key", Text, nullable=False, server_default=""),
    # The Ubuntu archives (main_archive, ports_archive): edited, never deleted.
    Column("default", Boolean, nullable=False, server_default=text("false")),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    _created(),
)
