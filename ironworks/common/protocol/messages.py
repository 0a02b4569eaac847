"""Message types and constants of the rack channel (JSON text frames over a WebSocket).

Handshake (before anything else):
  rack   → {"type": "hello", "protocol": 1, "nonce": Nr}
  region → {"type": "challenge", "nonce": Ns, "proof": HMAC(secret, "region", Ns, Nr)}
  rack   → {"type": "proof", "proof": HMAC(secret, "rack", Nr, Ns),
            "system_id": str|null, "cluster_uuid": str|null, "hostname": str, "version": str}
  region → {"type": "welcome", "cluster_uuid": U, "region": {"system_id", "hostname", "version"}}
         | {"type": "refused", "reason": REFUSED_*, "message": "..."}   (then closes)
After it, calls from the rack and pushes from the region:
  rack   → {"type": "call", "id": N, "method": "...", "params": {...}}
  region → {"type": "result", "id": N, "result": ...}
         | {"type": "error", "id": N, "error": {"kind": ERROR_*, "message": "..."}}
  region → {"type": "wake", "what": "..."}          (work or desired state changed: ask now)
  region → {"type": "stop", "reason": "deleted", "message": "..."}   (then closes)
"""

from __future__ import annotations

import orjson

PROTOCOL = 1
PATH = "/MAAS/rpc/rack"  # on every region's own API port

HELLO, CHALLENGE, PROOF, WELCOME, REFUSED = "hello", "challenge", "proof", "welcome", "refused"
CALL, RESULT, ERROR, WAKE, STOP = "call", "result", "error", "wake", "stop"

REFUSED_SECRET = "wrong-secret"
REFUSED_DELETED = "deleted"
REFUSED_OTHER_CLUSTER = "other-cluster"
REFUSED_PROTOCOL = "protocol"

ERROR_INVALID = "invalid"      # the call's parameters are wrong: retrying will not help
ERROR_NOT_FOUND = "not-found"
ERROR_REFUSED = "refused"
ERROR_UNAVAILABLE = "unavailable"  # try again (perhaps on another region)
ERROR_INTERNAL = "internal"

# WebSocket close codes (4000–4999 are the application's own).
CLOSE_REFUSED = 4003
CLOSE_STOP = 4004

HANDSHAKE_TIMEOUT_S = 10.0
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# Pings: a half-open connection is noticed within PING_INTERVAL_S + PING_TIMEOUT_S (< 10 s).
PING_INTERVAL_S = 3.0
PING_TIMEOUT_S = 5.0


def encode(message: dict) -> str:
    return orjson.dumps(message).decode()


def decode(text: str | bytes) -> dict:
    """One message; ValueError when it is not a JSON object with a string `type`."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ValueError("not JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ValueError("not a message (a JSON object with a 'type')")
    return message


def ws_url(address: str, port: int) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"ws://{host}:{port}{PATH}"
