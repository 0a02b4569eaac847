"""API operations, declared once.

A `Handler` is one MAAS resource (e.g. `MachinesHandler` at `machines/`).  Each operation is
declared with `@handler.action(...)` and a `Form` (pydantic) of its parameters; that single
declaration drives the route, the (method, op) dispatch, validation, the `describe/` entry and
so the `maas` CLI command and its `key=value` arguments.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from pydantic import BaseModel, ConfigDict, ValidationError

from ironworks.common.errors import InvalidInput
from ironworks.region.api.body import Params

API_PREFIX = "/MAAS/api/2.0/"
CRUD = {"read": "GET", "create": "POST", "update": "PUT", "delete": "DELETE"}


class Form(BaseModel):
    """Parameters of one operation.  Field descriptions become the `:param` docs."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    @classmethod
    def from_params(cls, params: Params) -> "Form":
        raw: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            key = info.alias or name
            if _is_list(info.annotation):
                values = params.getlist(key)
                if values:
                    raw[key] = values
            elif key in params:
                raw[key] = params.get(key)
            elif key in params.files:  # `maas … key@=FILE` sends the value as a file part
                raw[key] = _file_text(key, params.files[key])
        raw.update(cls.extra_params(params))
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise InvalidInput(translate_errors(exc)) from None

    @classmethod
    def extra_params(cls, params: Params) -> dict[str, Any]:
        """Hook for parameters that are not plain fields (e.g. `power_parameters_*`)."""
        return {}

    def supplied(self, name: str) -> bool:
        return name in self.model_fields_set


def _file_text(key: str, content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput.field(key, "The uploaded file is not UTF-8 text.") from None


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Annotated,):
        return _is_list(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in typing.get_args(annotation) if a is not type(None))
    return origin is list


_MESSAGES = {
    "missing": "This field is required.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "int_type": "Enter a whole number.",
    "greater_than_equal": "Ensure this value is greater than or equal to {ge}.",
    "less_than_equal": "Ensure this value is less than or equal to {le}.",
    "greater_than": "Ensure this value is greater than {gt}.",
    "string_too_long": "Ensure this value has at most {max_length} characters.",
    "string_too_short": "Ensure this value has at least {min_length} characters.",
    "literal_error": "Select a valid choice. '{input}' is not one of the available choices ({expected}).",
}


def translate_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Pydantic errors as Django-style form errors that a user understands."""
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = str(err["loc"][0]) if err["loc"] else "__all__"
        template = _MESSAGES.get(err["type"])
        if template:
            ctx = {**(err.get("ctx") or {}), "input": err.get("input")}
            message = template.format(**ctx)
        else:
            message = err["msg"].removeprefix("Value error, ")
        errors.setdefault(loc, []).append(message)
    return errors


@dataclass
class Action:
    name: str
    method: str
    op: str | None
    func: Callable[..., Awaitable[Any]]
    form: type[Form] | None
    admin: bool
    doc: str

    @property
    def restful(self) -> bool:
        return self.op is None

    def describe_doc(self) -> str:
        """Title, description, then `:param` lines: maascli accepts key=value only when the
        text after the first paragraph contains `:param`."""
        doc = inspect.cleandoc(self.doc or self.name.replace("_", " ").capitalize())
        if not self.form or not self.form.model_fields:
            return doc
        lines = [doc, ""]
        for name, info in self.form.model_fields.items():
            key = info.alias or name
            lines.append(f":param {key}: {info.description or key}")
            lines.append(f":type {key}: {_type_name(info.annotation)}")
        return "\n".join(lines)


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    return re.sub(r"typing\.|Annotated\[|, .*", "", text).strip("[]") or "String"


@dataclass
class Handler:
    name: str
    path: str  # relative to the API prefix, with {param} placeholders
    doc: str
    anon: bool = False  # an anonymous handler (describe lists it under "anon")
    actions: dict[tuple[str, str | None], Action] = field(default_factory=dict)
    # Looks up the object the path names (raising NotFound); see `lookup`.
    find: Callable[[Any], Awaitable[Any]] | None = None

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def full_path(self) -> str:
        return API_PREFIX + self.path

    def action(self, name: str, *, method: str | None = None, form: type[Form] | None = None,
               admin: bool = False) -> Callable:
        """Declare an operation.  CRUD names (read/create/update/delete) are RESTful; any other
        name is an `op=` action: GET when idempotent, POST otherwise."""

        def register(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            if name in CRUD:
                verb, op = CRUD[name], None
            else:
                verb, op = (method or "POST"), name
            self.actions[(verb, op)] = Action(name, verb, op, func, form, admin, func.__doc__ or "")
            return func

        return register

    def lookup(self, func: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
        """Declare how to find the object this handler's path names.  Dispatch runs it when a
        request's values fail validation, so an unknown object is 404 whatever was sent (MAAS
        looks the object up first); valid requests pay nothing for it."""
        self.find = func
        return func

    def allowed_methods(self) -> list[str]:
        return sorted({m for m, _ in self.actions})
