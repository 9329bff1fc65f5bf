"""Shopify webhook intake: verify, dedupe, enqueue. The work runs in a Celery task."""

import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

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
}


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
    shop = Shop.objects.filter(domain=request.headers.get("X-Shopify-Shop-Domain", "")).first()
    if _record(event_id=event_id, topic=topic, shop=shop, payload=payload):
        log.info("webhook %s %s accepted", topic, event_id)
    return HttpResponse(status=200)


def _record(*, event_id: str, topic: str, shop: Shop | None, payload: dict[str, Any]) -> bool:
    """Insert the event; False when Shopify sent this event id before (answered 200 anyway)."""
    from salestio.tasks import process_webhook

    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                event_id=event_id, topic=topic, shop=shop, payload=payload
            )
    except IntegrityError:
        return False
    transaction.on_commit(lambda: process_webhook.delay(event.pk))
    return True


def process_event(event: WebhookEvent) -> None:
    if event.shop is not None:
        HANDLERS[event.topic](event.shop, event.payload)
    if event.topic == "shop/redact":
        return  # the event row went with the shop
    event.status = WebhookEvent.Status.PROCESSED
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "processed_at"])
