"""Domain errors: what a rule says when it refuses.  They know nothing of HTTP; the API maps
them to status codes at its edge (region/api/errors.py), and other callers (the rack channel,
commands) report them in their own way."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal with a sentence an operator can act on."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The object named does not exist."""

    @classmethod
    def model(cls, model: str) -> "NotFound":
        return cls(f"No {model} matches the given query.")


class Refused(DomainError):
    """The request is understood but the rules do not allow it as asked."""


class InvalidInput(Refused):
    """Values that break a rule, by field: {field: [messages]} ("__all__" for whole-form rules)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str) -> "InvalidInput":
        return cls({name: [message]})

    @classmethod
    def whole(cls, message: str) -> "InvalidInput":
        return cls({"__all__": [message]})


class Conflict(DomainError):
    """The object is in a state that does not allow the operation (MAAS answers 409)."""


class Unavailable(DomainError):
    """Nothing can serve this right now; trying again later may succeed."""

    def __init__(self, message: str = "", retry_after_s: int = 10) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
