"""ironworks: bare-metal provisioning that does not go down."""

# The version clients see in version/ (MAAS-compatible numbering: the 2.0 API of MAAS 3.5).
__version__ = "3.5.0"
