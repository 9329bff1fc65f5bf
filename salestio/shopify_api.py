"""The one seam to Shopify over HTTP: OAuth token endpoints and the Admin GraphQL API.

`shopifyapp` builds https://{shop}.myshopify.com URLs itself and cannot reach the sandbox,
so the HTTP calls live here; the origin comes from settings.SHOPIFY_SHOP_ORIGIN.
"""

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from salestio.backoff import backoff_seconds

log = logging.getLogger(__name__)

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"


class ShopifyError(Exception):
    """Base of every failure talking to Shopify."""


class ShopifyAuthError(ShopifyError):
    """The token was refused (401/403, invalid_subject_token, dead refresh token)."""


class ShopifyTransientError(ShopifyError):
    """5xx, timeouts or throttling that outlasted our retries."""


class ShopifyGraphQLError(ShopifyError):
    """Top-level GraphQL `errors` that are neither throttling nor auth."""


class ShopifyShopUnavailable(ShopifyError):
    """The shop is frozen, unpaid or locked (402/423): calls fail until the merchant acts."""


class ShopifyUserErrors(ShopifyError):
    """A mutation answered with `userErrors`: the input was refused."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__("; ".join(str(e.get("message")) for e in errors))


@dataclass(frozen=True)
class OfflineToken:
    access_token: str
    scope: str
    access_expires_at: datetime | None
    refresh_token: str
    refresh_expires_at: datetime | None


def shop_origin(shop_domain: str) -> str:
    return settings.SHOPIFY_SHOP_ORIGIN.format(shop=shop_domain).rstrip("/")


def _expiry(seconds: int | str | None) -> datetime | None:
    return timezone.now() + timedelta(seconds=int(seconds)) if seconds else None


def _post_token(shop_domain: str, form: Mapping[str, str]) -> OfflineToken:
    url = f"{shop_origin(shop_domain)}/admin/oauth/access_token"
    body = {
        "client_id": settings.SHOPIFY_API_KEY,
        "client_secret": settings.SHOPIFY_API_SECRET,
        **form,
    }
    try:
        response = requests.post(
            url,
            data=body,
            timeout=settings.SHOPIFY_HTTP_TIMEOUT,
            headers={"Accept": "application/json"},
        )
    except requests.RequestException as exc:
        raise ShopifyTransientError(f"token endpoint unreachable: {exc}") from exc
    if response.status_code >= 500:
        raise ShopifyTransientError(f"token endpoint answered {response.status_code}")
    if response.status_code >= 400:
        raise ShopifyAuthError(f"token endpoint refused: {response.text[:200]}")
    data = response.json()
    return OfflineToken(
        access_token=data["access_token"],
        scope=data.get("scope", ""),
        access_expires_at=_expiry(data.get("expires_in")),
        refresh_token=data.get("refresh_token", ""),
        refresh_expires_at=_expiry(data.get("refresh_token_expires_in")),
    )


def exchange_session_token(shop_domain: str, id_token: str) -> OfflineToken:
    """Token exchange for an *expiring* offline token (Shopify-managed install)."""
    return _post_token(
        shop_domain,
        {
            "grant_type": TOKEN_EXCHANGE_GRANT,
            "subject_token": id_token,
            "subject_token_type": ID_TOKEN_TYPE,
            "requested_token_type": OFFLINE_TOKEN_TYPE,
            "expiring": "1",
        },
    )


def exchange_authorization_code(shop_domain: str, code: str) -> OfflineToken:
    return _post_token(shop_domain, {"code": code, "expiring": "1"})


def refresh_offline_token(shop_domain: str, refresh_token: str) -> OfflineToken:
    return _post_token(shop_domain, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def _backoff(attempt: int) -> float:
    return backoff_seconds(attempt, base=0.5, cap=20.0)


class AdminGraphQL:
    """Admin GraphQL client for one shop: pinned version, throttle-aware, retrying 5xx."""

    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        *,
        max_attempts: int = 6,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.url = (
            f"{shop_origin(shop_domain)}/admin/api/{settings.SHOPIFY_API_VERSION}/graphql.json"
        )
        self.shop_domain = shop_domain
        self.max_attempts = max_attempts
        self.sleep = sleep
        # Pacing: with keep_available > 0 a call waits until the leaky bucket (as the last
        # answer's throttleStatus reported it, refilled since) holds that many points, so a
        # steady stream of mutations never meets THROTTLED.
        self.keep_available = 0.0
        self._bucket: tuple[float, float, float] | None = None  # available, restore, at
        self.session = requests.Session()
        self.session.headers.update(
            {"X-Shopify-Access-Token": access_token, "Content-Type": "application/json"}
        )

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one document and return `data`; waits out THROTTLED, retries 5xx/timeouts."""
        for attempt in range(self.max_attempts):
            wait = self._attempt(query, variables or {}, attempt)
            if isinstance(wait, dict):
                return wait
            log.info("shopify graphql retry in %.2fs (attempt %d)", wait, attempt + 1)
            self.sleep(wait)
        raise ShopifyTransientError(f"gave up after {self.max_attempts} attempts")

    def mutate(self, query: str, variables: Mapping[str, Any], payload_key: str) -> dict[str, Any]:
        """Run a mutation; its `userErrors` become ShopifyUserErrors."""
        payload: dict[str, Any] = self.execute(query, variables)[payload_key]
        if payload.get("userErrors"):
            raise ShopifyUserErrors(payload["userErrors"])
        return payload

    def _attempt(
        self, query: str, variables: Mapping[str, Any], attempt: int
    ) -> dict[str, Any] | float:
        """The data, or how long to wait before the next attempt."""
        self._pace()
        try:
            response = self.session.post(
                self.url,
                json={"query": query, "variables": dict(variables)},
                timeout=settings.SHOPIFY_HTTP_TIMEOUT,
            )
        except (requests.Timeout, requests.ConnectionError):
            return _backoff(attempt)
        status = response.status_code
        if status in (401, 403):
            raise ShopifyAuthError(f"Shopify refused the access token ({status})")
        if status == 429 or status >= 500:
            return float(response.headers.get("Retry-After") or _backoff(attempt))
        if status in (402, 423):
            # 402 "Unavailable Shop" (frozen/unpaid), 423 locked: nothing to retry now.
            raise ShopifyShopUnavailable(f"shop unavailable ({status}): {response.text[:200]}")
        body = _json_body(response)
        errors = _error_list(body.get("errors"))
        if any(_code(e) == "THROTTLED" for e in errors):
            return throttle_wait(body, attempt)
        if errors or status >= 400 or not isinstance(body.get("data"), dict):
            messages = "; ".join(str(e.get("message")) for e in errors) or response.text[:200]
            raise ShopifyGraphQLError(f"HTTP {status}: {messages}")
        self._remember_bucket(body)
        return dict(body["data"])

    def _remember_bucket(self, body: Mapping[str, Any]) -> None:
        status = ((body.get("extensions") or {}).get("cost") or {}).get("throttleStatus") or {}
        if status.get("restoreRate"):
            available, restore = float(status["currentlyAvailable"]), float(status["restoreRate"])
            self._bucket = (available, restore, time.monotonic())

    def _pace(self) -> None:
        if not self.keep_available or self._bucket is None:
            return
        available, restore, at = self._bucket
        now_available = available + (time.monotonic() - at) * restore
        if now_available < self.keep_available:
            self.sleep((self.keep_available - now_available) / restore)


def _json_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise ShopifyGraphQLError(f"HTTP {response.status_code}: not JSON") from exc
    return body if isinstance(body, dict) else {}


def _error_list(errors: object) -> list[dict[str, Any]]:
    """GraphQL errors are a list of objects; some REST-style answers send a string or dict."""
    if not errors:
        return []
    if isinstance(errors, list):
        return [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
    return [{"message": str(errors)}]


def _code(error: Mapping[str, Any]) -> str:
    return str((error.get("extensions") or {}).get("code", ""))


def throttle_wait(body: Mapping[str, Any], attempt: int) -> float:
    """Seconds until the leaky bucket holds the requested cost again."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    restore = float(status.get("restoreRate") or 0)
    if restore <= 0:
        return _backoff(attempt)
    missing = float(cost.get("requestedQueryCost", 0)) - float(status.get("currentlyAvailable", 0))
    return max(missing, 1.0) / restore + random.uniform(0, 0.05)
