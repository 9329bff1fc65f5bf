"""Thin Celery tasks of the core: take ids, load rows, call services."""

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from salestio import services, shopify_api
from salestio.celery import SalestioTask
from salestio.logging import shop_log_context
from salestio.models import Shop, WebhookEvent
from salestio.webhooks import mark_failed, process_event

log = logging.getLogger(__name__)
REFRESH_BATCH = 200


class WebhookTask(SalestioTask):
    """Once retries are spent, the event row says so (status FAILED and the error)."""

    def on_failure(
        self, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any],
        einfo: object,
    ) -> None:  # fmt: skip
        mark_failed(args[0] if args else kwargs["event_id"], f"{type(exc).__name__}: {exc}")


@shared_task(base=WebhookTask, autoretry_for=(shopify_api.ShopifyTransientError,))
def process_webhook(event_id: int) -> None:
    event = WebhookEvent.objects.select_related("shop").filter(pk=event_id).first()
    if event is None or event.status != WebhookEvent.Status.RECEIVED:
        return
    with shop_log_context(event.shop.domain if event.shop else "-"):
        process_event(event)


@shared_task(autoretry_for=(shopify_api.ShopifyTransientError,))
def refresh_shop_token(shop_id: int) -> None:
    shop = Shop.objects.get(pk=shop_id)
    with shop_log_context(shop.domain):
        services.refresh_shop_token(shop_id=shop_id)


@shared_task
def refresh_expiring_shop_tokens() -> int:
    """Beat: fan out refreshes for installed shops whose token expires within the margin."""
    horizon = timezone.now() + settings.SHOPIFY_TOKEN_REFRESH_MARGIN * 2
    due = (
        Shop.objects.installed()
        .filter(access_token_expires_at__lt=horizon)
        .exclude(refresh_token="")
        .order_by("access_token_expires_at")
        .values_list("pk", flat=True)[:REFRESH_BATCH]
    )
    ids = list(due)
    for shop_id in ids:
        refresh_shop_token.delay(shop_id)
    return len(ids)


@shared_task(autoretry_for=(shopify_api.ShopifyTransientError,))
def sync_shop_details(shop_id: int) -> None:
    shop = Shop.objects.get(pk=shop_id)
    with shop_log_context(shop.domain):
        services.sync_shop_details(shop=shop)


@shared_task
def purge_old_webhook_events() -> int:
    """Dedupe only needs to outlive Shopify's retry window (4 hours); keep a week."""
    cutoff = timezone.now() - timedelta(days=7)
    deleted, _ = WebhookEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted
