"""Reactions of the orders app: Shopify's fulfillments/create and billing's limit_lifted."""

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from billing.signals import limit_lifted
from orders import fulfillment, services, tasks
from salestio.models import Shop


@receiver(limit_lifted)
def export_held_orders(sender: Any, shop: Shop, **_: Any) -> None:
    held = services.release_held_orders(shop=shop)
    if held:
        transaction.on_commit(lambda: tasks.export_orders.delay(held))


def on_fulfillment_created(shop: Shop, payload: dict[str, Any]) -> None:
    """The fulfillments/create webhook handler (registered in salestio.webhooks.HANDLERS)."""
    created = fulfillment.record_fulfillment(shop=shop, payload=payload)
    if created is not None:
        transaction.on_commit(lambda: tasks.push_fulfillments.delay([created.pk]))
