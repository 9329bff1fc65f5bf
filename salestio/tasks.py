"""Thin Celery tasks of the core: take ids, load rows, call services."""

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from salestio import outbox, services, shopify_api, webhooks
from salestio.celery import SalestioTask
from salestio.celery import app as celery_app
from salestio.logging import shop_log_context
from salestio.models import Shop, WebhookEvent

log = logging.getLogger(__name__)
REFRESH_BATCH = 200


class WebhookTask(SalestioTask):
    """Once retries are spent, the event row says so (status FAILED and the error)."""

    def on_failure(
        self, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any],
        einfo: object,
    ) -> None:  # fmt: skip
        webhooks.mark_failed(
            args[0] if args else kwargs["event_id"], f"{type(exc).__name__}: {exc}"
        )


@shared_task(base=WebhookTask, autoretry_for=(shopify_api.ShopifyTransientError,))
def process_webhook(event_id: int) -> None:
    webhooks.process_received(event_id=event_id)


@shared_task
def requeue_unprocessed_webhooks() -> int:
    """Beat: events whose task never reached the broker, or was lost, are published again."""
    ids = webhooks.requeue_unprocessed(limit=outbox.SWEEP_BATCH)
    return sum(outbox.publish(process_webhook, event_id) for event_id in ids)


@shared_task
def publish_outbox() -> int:
    """Beat: jobs whose after-commit publish failed (salestio.outbox.enqueue)."""
    return outbox.publish_stalled(tasks=celery_app.tasks)


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
