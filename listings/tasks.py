"""Thin Celery tasks of the listings app: take ids, load rows, call services."""

from celery import shared_task
from django.utils import timezone

from accounts.models import Account
from listings import linking, services
from listings import shopify as shopify_changes
from salestio.models import Shop


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def push_account(account_id: int) -> int:
    """Push one account's due listings (claimed with a row lock, so tasks may overlap)."""
    account = Account.objects.select_related("shop").filter(pk=account_id).first()
    return services.push_account(account=account) if account else 0


@shared_task
def push_due() -> int:
    """Beat: one push task per account with due listings."""
    return services.fan_out_due(now=timezone.now(), enqueue=push_account.delay)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def discover_listings(account_id: int) -> int:
    account = Account.objects.select_related("shop").filter(pk=account_id).first()
    return linking.discover(account=account) if account else 0


@shared_task(acks_late=True, soft_time_limit=1200, time_limit=1260)
def connect_listings(account_id: int) -> int:
    """On connect: read the store's variants, then find and link the account's listings."""
    account = Account.objects.select_related("shop").filter(pk=account_id).first()
    return linking.discover_after_connect(account=account) if account else 0


@shared_task(acks_late=True, soft_time_limit=1200, time_limit=1260)
def reconcile_shop(shop_id: int) -> int:
    shop = Shop.objects.installed().filter(pk=shop_id).first()
    return shopify_changes.reconcile(shop=shop) if shop else 0


@shared_task
def reconcile_all() -> int:
    """Beat: read every installed shop's inventory again, in case a webhook was lost."""
    shop_ids = list(Shop.objects.installed().values_list("pk", flat=True))
    for shop_id in shop_ids:
        reconcile_shop.delay(shop_id)
    return len(shop_ids)
