"""Shopify webhook intake: verify, dedupe, record, enqueue. The work runs in a Celery task.

The event row is the outbox entry: Shopify gets its 200 once the row is committed, whether or
not the broker takes the task; requeue_unprocessed() publishes what is left (salestio.outbox).
"""

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
from salestio import outbox, services
from salestio.claims import claim_ids
from salestio.logging import shop_log_context
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
EVENT_ID_MAX = WebhookEvent._meta.get_field("event_id").max_length or 255


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
    if not _is_event_id(event_id) or not isinstance(payload, dict):
        return HttpResponse("missing or overlong event id, or not a JSON object", status=400)
    if topic not in HANDLERS:
        # A topic subscribed in the Partner Dashboard but not handled here: a 4xx would only
        # make Shopify retry it for hours, and the subscription can be removed meanwhile.
        log.warning("webhook topic %r not handled; acknowledged (event %s)", topic, event_id)
        return HttpResponse(status=200)
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


def _is_event_id(value: str) -> bool:
    """Shopify's ids are short printable strings; one that does not fit its column, or holds a
    NUL (which PostgreSQL refuses in text), is not from Shopify."""
    return 0 < len(value) <= EVENT_ID_MAX and value.isprintable()


def parse_triggered_at(value: str) -> datetime | None:
    """Shopify sends nanoseconds ("…:27.877041743Z"); Python keeps microseconds. A malformed
    value counts as absent: the event is still Shopify's (its HMAC says so)."""
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())
    try:
        return parse_datetime(trimmed) if trimmed else None
    except ValueError:  # well-formed but impossible, e.g. month 13
        log.warning("malformed X-Shopify-Triggered-At %r ignored", value[:100])
        return None


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
            event.requeue_after = timezone.now() + outbox.lease()
            event.save()
            outbox.publish_on_commit(process_webhook, event.pk)
    except IntegrityError:
        return False
    return True


def requeue_unprocessed(*, limit: int) -> list[int]:
    """Events still waiting past their lease: the ids to publish again, each leased anew in one
    statement (webhook_requeue_idx).

    SKIP LOCKED: a webhook task holding a row (processing it) is not disturbed, and an
    overlapping sweep takes other rows.
    """
    now = timezone.now()
    due = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.RECEIVED, requeue_after__lt=now
    ).order_by("requeue_after")
    return claim_ids(due, limit=limit, lease={"requeue_after": now + outbox.lease()})


def process_received(*, event_id: int) -> None:
    """Claim and process one event: the row lock and its status are the claim, and the
    handler's effects commit with the status change, so a duplicate task (a retried publish,
    the sweep) finds it processed, and a worker that dies leaves it received for the sweep."""
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("shop")
            .filter(pk=event_id, status=WebhookEvent.Status.RECEIVED)
            .first()
        )
        if event is None:
            return
        with shop_log_context(event.shop.domain if event.shop else "-"):
            process_event(event)
            log.info("webhook %s %s processed", event.topic, event.event_id)


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
