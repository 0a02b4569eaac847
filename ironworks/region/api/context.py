"""What an operation receives: the request, its database transaction, the user, the parameters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request

from ironworks.region.api.auth import User
from ironworks.region.api.body import Params
from ironworks.region.api.errors import Forbidden, MissingParameter


@dataclass
class Call:
    request: Request
    conn: AsyncConnection
    user: User | None
    path: dict[str, str]
    params: Params

    @property
    def is_admin(self) -> bool:
        return bool(self.user and self.user.is_superuser)

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("You do not have permission to perform this action: it needs an administrator.")

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if value is None or value == "":
            raise MissingParameter(name)
        return value
