"""The database's unique indexes settle the races a service's "is it free?" check cannot: of
two requests that both passed the check, the second to write is refused by the index.  This
turns that refusal into the very error the check gives, so a race reads like a serial clash."""

from __future__ import annotations

import contextlib
from typing import Iterator

from sqlalchemy.exc import IntegrityError

from ironworks.common.errors import DomainError


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint (or unique index) a write broke, as PostgreSQL reports it."""
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


@contextlib.contextmanager
def duplicate_means(error: DomainError, *constraints: str) -> Iterator[None]:
    """Raise `error` instead when the writes inside break one of `constraints`.  The
    transaction is then aborted, which is fine: the error ends the request (or command)."""
    try:
        yield
    except IntegrityError as exc:
        if violated_constraint(exc) in constraints:
            raise error from None
        raise
