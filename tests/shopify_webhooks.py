"""Deliver recorded Shopify webhook payloads the way Shopify does: raw body, signed headers.

The payloads in tests/payloads/shopify/ are Shopify's documented examples for each topic (shop
domains set to the test shop). The signature is the real algorithm: X-Shopify-Hmac-Sha256 is the
base64 HMAC-SHA256 of the raw body with the app's client secret
(https://shopify.dev/docs/apps/build/webhooks/subscribe/https).
"""

import base64
import hashlib
import hmac
import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

PAYLOADS = Path(__file__).resolve().parent / "payloads" / "shopify"
WEBHOOK_PATH = "/webhooks/shopify/"
_event_ids = itertools.count(1)


def recorded(topic: str) -> bytes:
    """The recorded body for a topic, e.g. "shop/update" → payloads/shopify/shop_update.json."""
    return PAYLOADS.joinpath(topic.replace("/", "_") + ".json").read_bytes()


def shopify_timestamp(moment: datetime) -> str:
    """X-Shopify-Triggered-At: UTC with nanoseconds, e.g. 2026-11-27T10:00:00.123456789Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "789Z"


def sign(body: bytes, secret: str | None = None) -> str:
    key = (secret or settings.SHOPIFY_API_SECRET).encode()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def deliver(
    client: Any,
    topic: str,
    body: bytes | None = None,
    *,
    shop_domain: str = "shop-a.myshopify.com",
    event_id: str | None = None,
    signature: str | None = None,
    triggered_at: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST one delivery; `body` defaults to the recorded payload, `signature` to a valid one;
    `headers` override Shopify's."""
    body = recorded(topic) if body is None else body
    sent = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body) if signature is None else signature,
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-Event-Id": event_id or f"event-{next(_event_ids)}",
        "X-Shopify-Webhook-Id": f"webhook-{next(_event_ids)}",
        "X-Shopify-API-Version": settings.SHOPIFY_API_VERSION,
        "X-Shopify-Triggered-At": shopify_timestamp(triggered_at or timezone.now()),
        **(headers or {}),
    }
    return client.post(WEBHOOK_PATH, data=body, content_type="application/json", headers=sent)
