"""Thin Celery tasks of the orders app: take ids, load rows, call services."""

from celery import shared_task
from django.utils import timezone

from accounts.marketplaces import Throttled, TransientError
from accounts.models import Account
from orders import fulfillment, services
from salestio.shopify_api import ShopifyTransientError

# Throttling and outages on either side are retried with the app's backoff, never shown.
TRANSIENT = (Throttled, TransientError, ShopifyTransientError)


@shared_task
def import_all_orders() -> int:
    """Beat: one import per syncable account."""
    ids = list(Account.objects.syncable().values_list("pk", flat=True))
    for account_id in ids:
        import_account_orders.delay(account_id)
    return len(ids)


@shared_task(autoretry_for=TRANSIENT)
def import_account_orders(account_id: int) -> int:
    account = Account.objects.syncable().select_related("shop").filter(pk=account_id).first()
    if account is None:
        return 0
    return len(services.import_account(account=account).stored)


@shared_task(autoretry_for=TRANSIENT)
def export_orders(order_ids: list[int]) -> int:
    return len(services.export_orders(order_ids=order_ids).failed)


@shared_task
def push_fulfillments(fulfillment_ids: list[int]) -> None:
    fulfillment.push_fulfillments(fulfillment_ids=fulfillment_ids)


@shared_task
def push_due_fulfillments() -> int:
    """Beat: the catch-up for fulfillments whose push is due again."""
    due = fulfillment.due_fulfillments(now=timezone.now())
    if due:
        fulfillment.push_fulfillments(fulfillment_ids=due)
    return len(due)
