"""HTTP errors of the API layer, and the one place where domain errors become status codes.

Services raise the domain errors of ironworks.common.errors; the protocol errors below
(authentication, methods, the API's own request syntax) belong to HTTP and are raised by the
API layer alone.  The dispatcher turns both into responses, so no client mistake becomes a 500.
"""

from __future__ import annotations

from ironworks.common.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    Refused,
    Unavailable,
)


class APIError(Exception):
    status = 500
    headers: dict[str, str] = {}

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class BadRequest(APIError):
    status = 400


class MissingParameter(BadRequest):
    def __init__(self, name: str) -> None:
        super().__init__(f"No provided {name}!")


class Unauthorized(APIError):
    status = 401
    headers = {"WWW-Authenticate": 'OAuth realm="OAuth"'}


class Forbidden(APIError):
    status = 403


class PayloadTooLarge(APIError):
    status = 413


class MethodNotAllowed(APIError):
    status = 405

    def __init__(self, allowed: list[str]) -> None:
        super().__init__("Method not allowed")
        self.headers = {"Allow": ", ".join(allowed)}


class Gone(APIError):
    status = 410


# Most specific first: InvalidInput is a Refused.
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (InvalidInput, 400),
    (Refused, 400),
    (Conflict, 409),
    (Unavailable, 503),
)


def status_of(error: DomainError) -> int:
    for kind, status in DOMAIN_STATUS:
        if isinstance(error, kind):
            return status
    return 400


def headers_of(error: DomainError) -> dict[str, str]:
    if isinstance(error, Unavailable):
        return {"Retry-After": str(error.retry_after_s)}
    return {}
