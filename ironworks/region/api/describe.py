"""The `describe/` document, generated from the same handler declarations that route requests."""

from __future__ import annotations

import hashlib
import inspect
from typing import Iterable

import orjson

from ironworks.region.api.operations import Handler


def _handler_doc(handler: Handler, base_url: str) -> dict:
    actions = sorted(handler.actions.values(), key=lambda a: a.name)
    return {
        "name": handler.name,
        "doc": inspect.cleandoc(handler.doc),
        "params": handler.params,
        "path": handler.full_path,
        "uri": base_url + handler.full_path,
        "actions": [
            {"name": a.name, "method": a.method, "op": a.op, "restful": a.restful,
             "doc": a.describe_doc()}
            for a in actions
        ],
    }


def describe(handlers: Iterable[Handler], base_url: str) -> dict:
    """`base_url` is scheme://host[:port] as the client reached us (VIP, proxy or direct)."""
    handlers = list(handlers)
    docs = {h.name: _handler_doc(h, base_url) for h in handlers}
    resources = sorted(
        ({"name": h.name, "anon": docs[h.name] if h.anon else None,
          "auth": None if h.anon else docs[h.name]} for h in handlers),
        key=lambda r: r["name"],
    )
    flat = [docs[h.name] for h in handlers if h.anon] + [docs[h.name] for h in handlers if not h.anon]
    return {"doc": "MAAS API", "hash": api_hash(handlers), "resources": resources, "handlers": flat}


def api_hash(handlers: Iterable[Handler]) -> str:
    """A digest of the API surface, independent of the host the client used."""
    docs = [{k: v for k, v in _handler_doc(h, "").items() if k != "uri"} for h in handlers]
    canonical = orjson.dumps(sorted(docs, key=lambda d: d["name"]), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha1(canonical).hexdigest()
