"""Controllers running different ironworks versions: an administrator's warning, as MAAS raises
("Controllers have different versions"), kept in step with the controllers at each start."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.common.nodetypes import CONTROLLER_TYPES
from ironworks.db import tables as t

VERSION_MISMATCH = "version_mismatch"  # the notification's ident
_LOCK = 0x1A05B7F  # regions starting together write the warning one at a time


def mismatch_message(versions: dict[str, str]) -> str | None:
    """The warning for {hostname: version}, or None when every controller runs one version."""
    if len(set(versions.values())) <= 1:
        return None
    listed = ", ".join(f"{host} {version}" for host, version in sorted(versions.items()))
    return (f"Controllers have different versions: {listed}. "
            "Upgrade them to the same version.")


async def refresh_version_warning(conn: AsyncConnection) -> None:
    await conn.execute(select(func.pg_advisory_xact_lock(_LOCK)))
    rows = await conn.execute(select(t.node.c.hostname, t.node.c.version).where(
        t.node.c.node_type.in_(CONTROLLER_TYPES), t.node.c.version.is_not(None), t.node.c.version != ""))
    message = mismatch_message({r.hostname: r.version for r in rows})
    await conn.execute(delete(t.notification).where(t.notification.c.ident == VERSION_MISMATCH))
    if message:
        await conn.execute(t.notification.insert().values(
            ident=VERSION_MISMATCH, admins=True, message=message, category="warning", dismissable=True))
