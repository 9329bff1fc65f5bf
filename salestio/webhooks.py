"""Shopify webhook intake: verify, dedupe, enqueue. The work runs in a Celery task."""

import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import services as billing_services
from listings import shopify as listing_changes
from salestio import services
from salestio.middleware import public
from salestio.models import Shop, WebhookEvent
from salestio.shopify_auth import verify_webhook_hmac

log = logging.getLogger(__name__)

Handler = Callable[[Shop, dict[str, Any]], None]

HANDLERS: dict[str, Handler] = {
    "app/uninstalled": lambda shop, _payload: services.uninstall_shop(shop=shop),
    "shop/update": lambda shop, payload: services.update_shop_details(shop=shop, payload=payload),
    "customers/data_request": lambda shop, payload: services.report_customer_data(
        shop=shop, payload=payload
    ),
    "customers/redact": lambda shop, payload: services.redact_customer(shop=shop, payload=payload),
    "shop/redact": lambda shop, _payload: services.redact_shop(shop=shop),
    "inventory_levels/update": listing_changes.on_inventory_level_update,
    "products/update": listing_changes.on_product_update,
    "app_subscriptions/update": lambda shop, payload: billing_services.subscription_updated(
        shop=shop, payload=payload
    ),
}


# Topics whose effect a reinstall must not be undone by: Shopify retries for hours, so an
# uninstall or redact raised before the latest install can still arrive after it.
INSTALL_SENSITIVE = {"app/uninstalled", "shop/redact"}
# Compliance payloads carry customer contact data: the handler needs it, the stored row
# afterwards keeps only the ids.
CUSTOMER_TOPICS = {"customers/data_request", "customers/redact"}


@public  # authenticated by its HMAC, not by a session token
@csrf_exempt
@require_POST
def shopify_webhook(request: HttpRequest) -> HttpResponse:
    body = request.body
    if not verify_webhook_hmac(body, request.headers.get("X-Shopify-Hmac-Sha256", "")):
        return HttpResponse("invalid hmac", status=401)
    topic = request.headers.get("X-Shopify-Topic", "")
    event_id = request.headers.get("X-Shopify-Event-Id") or request.headers.get(
        "X-Shopify-Webhook-Id", ""
    )
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return HttpResponse("body is not JSON", status=400)
    if not event_id or topic not in HANDLERS or not isinstance(payload, dict):
        return HttpResponse("unknown topic or missing event id", status=400)
    event = WebhookEvent(
        event_id=event_id,
        topic=topic,
        shop=Shop.objects.filter(domain=request.headers.get("X-Shopify-Shop-Domain", "")).first(),
        payload=payload,
        triggered_at=parse_triggered_at(request.headers.get("X-Shopify-Triggered-At", "")),
    )
    if _record(event):
        log.info("webhook %s %s accepted", topic, event_id)
    return HttpResponse(status=200)


def parse_triggered_at(value: str) -> datetime | None:
    """Shopify sends nanoseconds ("…:27.877041743Z"); Python keeps microseconds."""
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())
    return parse_datetime(trimmed) if trimmed else None


def _kept_payload(topic: str, payload: dict[str, Any]) -> dict[str, Any]:
    if topic not in CUSTOMER_TOPICS:
        return payload
    customer = payload.get("customer") or {}
    kept: dict[str, Any] = {
        key: payload[key]
        for key in ("shop_id", "orders_requested", "orders_to_redact")
        if key in payload
    }
    return {**kept, "customer": {"id": customer.get("id")}}


def _record(event: WebhookEvent) -> bool:
    """Insert the event; False when Shopify sent this event id before (answered 200 anyway)."""
    from salestio.tasks import process_webhook

    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        return False
    transaction.on_commit(lambda: process_webhook.delay(event.pk))
    return True


def _is_stale(event: WebhookEvent) -> bool:
    shop, triggered = event.shop, event.triggered_at
    return bool(
        event.topic in INSTALL_SENSITIVE and shop and triggered and triggered < shop.installed_at
    )


def process_event(event: WebhookEvent) -> None:
    if _is_stale(event):
        log.warning("%s raised before the latest install; ignored", event.topic)
        _finish(event, WebhookEvent.Status.STALE)
        return
    # One transaction: a handler that fails leaves nothing half done, and the event row can
    # still be marked failed afterwards.
    with transaction.atomic():
        if event.shop is not None:
            HANDLERS[event.topic](event.shop, event.payload)
        if event.topic != "shop/redact":  # that event's row went with the shop
            _finish(event, WebhookEvent.Status.PROCESSED)


def _finish(event: WebhookEvent, status: str) -> None:
    event.status = status
    event.processed_at = timezone.now()
    event.payload = _kept_payload(event.topic, event.payload)
    event.save(update_fields=["status", "processed_at", "payload"])


def mark_failed(event_id: int, error: str) -> None:
    WebhookEvent.objects.filter(pk=event_id).update(
        status=WebhookEvent.Status.FAILED, error=error[:2000], processed_at=timezone.now()
    )
