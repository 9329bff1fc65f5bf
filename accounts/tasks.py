"""Thin Celery tasks of the accounts app: take ids, load rows, call services."""

from celery import shared_task
from django.utils import timezone

from accounts import services
from accounts.models import Account


@shared_task
def sweep_accounts() -> int:
    """Beat: lease due accounts in batches and fan the batches out to the workers."""
    return services.fan_out_due_accounts(now=timezone.now(), enqueue=check_accounts.delay)


@shared_task
def check_accounts(account_ids: list[int]) -> None:
    """One batch: a single query loads it; each account's outcome is written by the service."""
    for account in Account.objects.filter(pk__in=account_ids).select_related("shop"):
        services.check_account(account=account)
