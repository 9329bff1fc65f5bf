"""Shopify request verification: session tokens, OAuth query HMAC, webhook HMAC.

Every comparison of a signature is constant-time (hmac.compare_digest / PyJWT).
"""

import base64
import functools
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import jwt
from django.conf import settings

SHOP_DOMAIN_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")
# Shopify's session tokens live one minute (shopify.dev/docs/apps/build/authentication-
# authorization/session-tokens, "Anatomy of a session token"); a longer-lived one is not theirs.
SESSION_TOKEN_MAX_LIFETIME_S = 5 * 60
TIME_CLAIMS = ("exp", "nbf", "iat")
# Tokens verified once per process: a few hundred merchants' minute each, a few MB at most.
VERIFIED_TOKENS_KEPT = 4096


class InvalidSessionToken(Exception):
    """The session token is missing, forged, expired, or names two different shops."""


@dataclass(frozen=True)
class SessionToken:
    shop: str
    user_id: str
    raw: str


def is_valid_shop_domain(domain: str) -> bool:
    # fullmatch: `$` alone would accept a trailing newline, which later breaks a header.
    return bool(SHOP_DOMAIN_RE.fullmatch(domain or ""))


def _https_host(url: object) -> str:
    """The host of an https URL; "" for anything else (http, no scheme, not a string)."""
    if not isinstance(url, str):
        return ""
    parts = urlsplit(url)
    return (parts.hostname or "") if parts.scheme == "https" else ""


def decode_session_token(token: str) -> SessionToken:
    """Signature, exp/nbf (with leeway), aud == our client id, iss/dest https on one shop,
    integer times and a lifetime of minutes. App Bridge sends one token with every request for
    about a minute: its signature and claims are checked once, its time window at each use."""
    leeway = settings.SHOPIFY_SESSION_TOKEN_LEEWAY
    session, expires, not_before = _verified(
        token, settings.SHOPIFY_API_SECRET, settings.SHOPIFY_API_KEY, leeway
    )
    now = int(time.time())
    # PyJWT's own tests of exp and nbf, repeated for a token verified before.
    if expires <= now - leeway:
        raise InvalidSessionToken("Signature has expired")
    if not_before > now + leeway:
        raise InvalidSessionToken("The token is not yet valid (nbf)")
    return session


@functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified(token: str, secret: str, audience: str, leeway: int) -> tuple[SessionToken, int, int]:
    """A token that passed every check, with its exp and nbf (a refused one raises and is not
    kept). The secret and client id are part of the key: a rotated secret checks again."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=audience,
            leeway=leeway,
            options={"require": ["exp", "nbf", "iss", "dest", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidSessionToken(str(exc)) from exc
    _check_times(claims)
    dest_shop = _https_host(claims["dest"])
    if _https_host(claims["iss"]) != dest_shop or not is_valid_shop_domain(dest_shop):
        raise InvalidSessionToken("iss and dest do not name the same shop over https")
    session = SessionToken(shop=dest_shop, user_id=str(claims.get("sub", "")), raw=token)
    return session, claims["exp"], claims["nbf"]


def _check_times(claims: Mapping[str, object]) -> None:
    # bool is an int subclass; PyJWT also takes floats and numeric strings for some claims.
    times = {name: claims[name] for name in TIME_CLAIMS if name in claims}
    if any(type(value) is not int for value in times.values()):
        raise InvalidSessionToken("time claims must be integers")
    lifetime = int(times["exp"]) - int(times["nbf"])  # type: ignore[call-overload]
    if lifetime > SESSION_TOKEN_MAX_LIFETIME_S:
        raise InvalidSessionToken(f"a lifetime of {lifetime}s is not a session token's")


def query_hmac(params: Mapping[str, str], secret: str) -> str:
    message = "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_query_hmac(params: Mapping[str, str], secret: str | None = None) -> bool:
    """OAuth callback / install-link check: drop hmac, sort the rest, HMAC-SHA256 hex."""
    given = params.get("hmac", "")
    expected = query_hmac(params, secret or settings.SHOPIFY_API_SECRET)
    # Bytes, because compare_digest refuses non-ASCII str (a forged parameter could be).
    return hmac.compare_digest(expected.encode(), given.encode())


def webhook_hmac(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_webhook_hmac(body: bytes, header: str, secret: str | None = None) -> bool:
    expected = webhook_hmac(body, secret or settings.SHOPIFY_API_SECRET)
    return hmac.compare_digest(expected.encode(), (header or "").encode())
