"""OAuth 1.0 PLAINTEXT authentication of API requests (key and password primitives are in
ironworks.common.security).

An API key is `consumer_key:token_key:token_secret`; the consumer secret is always empty, so a
valid PLAINTEXT signature is "&" + token_secret.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ironworks.db import tables as t
from ironworks.region.api.errors import BadRequest, Unauthorized

REQUIRED = ("oauth_consumer_key", "oauth_token", "oauth_signature", "oauth_signature_method",
            "oauth_timestamp", "oauth_nonce")
MAX_AGE_S = 300


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


async def authenticate(conn: AsyncConnection, header: str | None) -> User | None:
    """The user a request speaks for; None when it carries no credentials."""
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
    if timestamp < time.time() - MAX_AGE_S:
        raise Unauthorized("Authorization Error: 'Expired timestamp: the request is too old.'")
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
    return User(row.id, row.username, row.email, row.is_superuser, row.is_local)


def plaintext_header(apikey: str) -> str:
    """The Authorization header a client sends for an API key (used by our CLI)."""
    from oauthlib.oauth1 import SIGNATURE_PLAINTEXT, Client

    consumer, token, secret = apikey.split(":")
    client = Client(consumer, client_secret="", resource_owner_key=token,
                    resource_owner_secret=secret, signature_method=SIGNATURE_PLAINTEXT,
                    realm="OAuth")
    _, headers, _ = client.sign("http://localhost/")
    return headers["Authorization"]
