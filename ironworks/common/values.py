"""Parsing of plain values as operators type them (forms, settings, configuration)."""

from __future__ import annotations

from typing import Any

_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n", ""}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"'{value}' is not a valid boolean; use true or false.")
