"""OAuth 1.0 PLAINTEXT authentication of API requests (key and password primitives are in
ironworks.common.security).

An API key is `consumer_key:token_key:token_secret`; the consumer secret is always empty, so a
valid PLAINTEXT signature is "&" + token_secret.

PLAINTEXT signs nothing of the request, so a captured header is a bearer credential; what
limits its replay is the nonce: each (consumer key, token, nonce) is accepted once while its
timestamp is valid, remembered in PostgreSQL so that every region refuses the second use.

One exception, bounded: the front door (HAProxy, `retry-on empty-response`) re-sends a GET whose
region died after committing but before answering.  The same safe request (method, path and
query) with the same nonce is accepted up to SAFE_RESENDS more times, so that a region's death
costs no client a 401; any other reuse of a nonce is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape
from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.db import tables as t
from ironworks.region.api.errors import BadRequest, Unauthorized

REQUIRED = ("oauth_consumer_key", "oauth_token", "oauth_signature", "oauth_signature_method",
            "oauth_timestamp", "oauth_nonce")
MAX_AGE_S = 300
# Clients' clocks drift; further ahead than this is a forged or broken timestamp.
MAX_AHEAD_S = 300
MAX_NONCE_LENGTH = 255
# Expired nonces each accepted request deletes: more than the one it adds, so the table stays
# at about (requests per second) x MAX_AGE_S rows at a bounded cost per request.
PURGE_PER_REQUEST = 2
# HAProxy's `retries 3`: the most times the front door sends one request again.
SAFE_RESENDS = 3


@dataclass(frozen=True)
class User:
    id: int
    username: str
    email: str
    is_superuser: bool
    is_local: bool = True


def oauth_params(header: str | None) -> dict[str, str] | None:
    """The (percent-decoded) OAuth parameters of an Authorization header, or None if absent."""
    if not header or not header.lstrip().lower().startswith("oauth "):
        return None
    try:
        # RFC 5849 §3.5.1: header values are percent-encoded.
        return {k: unescape(v) for k, v in parse_authorization_header(header)}
    except Exception:
        raise Unauthorized("Authorization Error: malformed OAuth header.") from None


async def authenticate(conn: AsyncConnection, header: str | None, safe_request: str | None = None) -> User | None:
    """The user a request speaks for; None when it carries no credentials.  `safe_request`
    identifies a GET/HEAD (see `safe_request_key`), which the front door may re-send."""
    params = oauth_params(header)
    if params is None:
        return None
    missing = [p for p in REQUIRED if not params.get(p)]
    if missing:
        raise Unauthorized(f"Authorization Error: missing OAuth parameter(s): {', '.join(missing)}")
    try:
        timestamp = int(params["oauth_timestamp"])
    except ValueError:
        raise BadRequest("Invalid oauth_timestamp: not an integer.") from None
    now = time.time()
    if timestamp < now - MAX_AGE_S:
        raise Unauthorized("Authorization Error: 'Expired timestamp: the request is too old.'")
    if timestamp > now + MAX_AHEAD_S:
        raise Unauthorized("Authorization Error: 'Timestamp too far in the future: check the client's clock.'")
    nonce = params["oauth_nonce"]
    if len(nonce) > MAX_NONCE_LENGTH or not nonce.isprintable():
        raise Unauthorized(f"Authorization Error: 'Invalid nonce: use at most {MAX_NONCE_LENGTH} printable characters.'")
    if params["oauth_signature_method"].upper() != "PLAINTEXT":
        raise Unauthorized("Authorization Error: 'Unsupported signature method; use PLAINTEXT.'")
    row = (await conn.execute(
        select(t.api_token.c.consumer_key, t.api_token.c.token_secret, t.user.c.id,
               t.user.c.username, t.user.c.email, t.user.c.is_superuser, t.user.c.is_local)
        .join(t.user, t.user.c.id == t.api_token.c.user_id)
        .where(t.api_token.c.token_key == params["oauth_token"])
    )).first()
    if row is None or row.consumer_key != params["oauth_consumer_key"]:
        raise Unauthorized("Authorization Error: Invalid API key.")
    if not hmac.compare_digest(params["oauth_signature"], "&" + row.token_secret):
        raise Unauthorized("Authorization Error: Invalid API key.")
    # Only now, so that nobody without a valid key can fill the table.
    if not await _first_use(conn, row.consumer_key, params["oauth_token"], nonce, timestamp, now, safe_request):
        raise Unauthorized("Authorization Error: 'Nonce already used: sign each request afresh.'")
    return User(row.id, row.username, row.email, row.is_superuser, row.is_local)


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def safe_request_key(method: str, path: str, query: str) -> str | None:
    """A digest of a GET/HEAD (what the front door may re-send); None for other methods."""
    if method not in ("GET", "HEAD"):
        return None
    return hashlib.sha256(f"{method} {path}?{query}".encode()).hexdigest()


async def _first_use(conn: AsyncConnection, consumer_key: str, token_key: str, nonce: str,
                     timestamp: int, now: float, safe_request: str | None) -> bool:
    """Remember the nonce until its timestamp expires; False when it is already remembered.
    In the request's transaction: a concurrent replay waits for it, then is refused if it
    committed (a request that failed changed nothing, so its replay may run once).  One
    statement, which also purges a few expired nonces (SKIP LOCKED: no request waits on
    another's purge)."""
    n = t.oauth_nonce
    expired = (select(n.c.consumer_key, n.c.token_key, n.c.nonce).where(n.c.expires < _utc(now))
               .order_by(n.c.expires).limit(PURGE_PER_REQUEST).with_for_update(skip_locked=True))
    purge = delete(n).where(tuple_(n.c.consumer_key, n.c.token_key, n.c.nonce).in_(expired)).cte("purged")
    new = insert(n).values(consumer_key=consumer_key, token_key=token_key, nonce=nonce,
                           expires=_utc(timestamp + MAX_AGE_S), request=safe_request)
    # A reuse counts only as a re-send of the very same safe request, a bounded number of times.
    remember = (new.on_conflict_do_update(
        index_elements=[n.c.consumer_key, n.c.token_key, n.c.nonce], set_={"uses": n.c.uses + 1},
        where=(new.excluded.request.is_not(None) & (n.c.request == new.excluded.request)
               & (n.c.uses <= SAFE_RESENDS)))
        .returning(n.c.nonce).add_cte(purge))
    return (await conn.execute(remember)).first() is not None


def plaintext_header(apikey: str) -> str:
    """The Authorization header a client sends for an API key (used by our CLI)."""
    from oauthlib.oauth1 import SIGNATURE_PLAINTEXT, Client

    consumer, token, secret = apikey.split(":")
    client = Client(consumer, client_secret="", resource_owner_key=token,
                    resource_owner_secret=secret, signature_method=SIGNATURE_PLAINTEXT,
                    realm="OAuth")
    _, headers, _ = client.sign("http://localhost/")
    return headers["Authorization"]
