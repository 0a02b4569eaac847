"""API errors with MAAS status codes and bodies.  Handlers and services raise these; the
dispatcher turns them into responses, so no client mistake becomes a 500."""

from __future__ import annotations


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


class ValidationFailed(BadRequest):
    """Form errors: always a JSON body {field: [messages]} ("__all__" for whole-form rules)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str) -> "ValidationFailed":
        return cls({name: [message]})

    @classmethod
    def whole(cls, message: str) -> "ValidationFailed":
        return cls({"__all__": [message]})


class Unauthorized(APIError):
    status = 401
    headers = {"WWW-Authenticate": 'OAuth realm="OAuth"'}


class Forbidden(APIError):
    status = 403


class NotFound(APIError):
    status = 404

    @classmethod
    def model(cls, model: str) -> "NotFound":
        return cls(f"No {model} matches the given query.")


class MethodNotAllowed(APIError):
    status = 405

    def __init__(self, allowed: list[str]) -> None:
        super().__init__("Method not allowed")
        self.headers = {"Allow": ", ".join(allowed)}


class Conflict(APIError):
    status = 409


class Gone(APIError):
    status = 410


class ServiceUnavailable(APIError):
    status = 503
    headers = {"Retry-After": "10"}
