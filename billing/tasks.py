"""Thin Celery tasks of the billing app: the GMV-limit sweep, the period rollover, rates."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from billing import rates, usage
from billing.banner_conditions import PLAN_BANNER_STATES
from notifications.conditions import resolve_stale_banners


@shared_task
def sweep_usage_limits() -> int:
    """Beat: open periods whose state no longer matches their usage, fanned out in batches;
    and plan banners whose period left their state (a missed resolve) are resolved."""
    resolve_stale_banners(kinds=PLAN_BANNER_STATES)
    return usage.fan_out_limit_checks(
        enqueue=check_usage_limits.delay, size=settings.BILLING_SWEEP_BATCH
    )


@shared_task
def check_usage_limits(period_ids: list[int]) -> None:
    for period_id in period_ids:
        usage.check(period_id=period_id)


@shared_task
def roll_over_usage_periods() -> int:
    """Beat: ended periods close and the next one opens; a batch per run, then again."""
    now = timezone.now()
    due = usage.due_for_rollover(now=now, limit=settings.BILLING_SWEEP_BATCH)
    for period_id in due:
        usage.roll_over(period_id=period_id, now=now)
    if len(due) == settings.BILLING_SWEEP_BATCH:
        roll_over_usage_periods.delay()
    return len(due)


@shared_task(autoretry_for=(OSError,), retry_backoff=True)
def refresh_exchange_rates() -> int:
    return rates.refresh_rates()
