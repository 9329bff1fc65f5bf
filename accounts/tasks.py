"""Thin Celery tasks of the accounts app: take ids, load rows, call services."""

from celery import shared_task
from django.utils import timezone

from accounts import login, sweep
from accounts.banner_conditions import ACCOUNT_BANNER_KINDS
from notifications.conditions import resolve_stale_banners


@shared_task
def sweep_accounts() -> int:
    """Beat: lease due accounts in batches and fan the batches out to the workers; first,
    account banners whose condition no longer holds are resolved."""
    resolve_stale_banners(kinds=ACCOUNT_BANNER_KINDS)
    return sweep.fan_out_due_accounts(now=timezone.now(), enqueue=check_accounts.delay)


@shared_task
def check_accounts(account_ids: list[int]) -> None:
    """One batch; what it has no time for comes back as a new task."""
    sweep.check_batch(account_ids=account_ids, hand_back=check_accounts.delay)


@shared_task
def purge_abandoned_logins() -> tuple[int, int]:
    """Beat, hourly: expired login states and never-connected accounts."""
    return login.purge_abandoned_logins(now=timezone.now())
