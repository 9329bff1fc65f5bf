"""Billing period bounds: from the subscription's currentPeriodEnd, else monthly from install."""

import calendar
from datetime import datetime, timedelta

from billing.models import Subscription
from salestio.models import Shop

# Shopify's EVERY_30_DAYS interval (AppPricingInterval).
SUBSCRIPTION_PERIOD = timedelta(days=30)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to the month's last day (31 Jan → 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def monthly_bounds(anchor: datetime, at: datetime) -> tuple[datetime, datetime]:
    """The monthly period counted from `anchor` that contains `at`."""
    months = max((at.year - anchor.year) * 12 + at.month - anchor.month, 0)
    start = add_months(anchor, months)
    if start > at:
        months -= 1
        start = add_months(anchor, max(months, 0))
    return start, add_months(anchor, max(months, 0) + 1)


def bounds_at(
    shop: Shop, subscription: Subscription | None, at: datetime
) -> tuple[datetime, datetime]:
    """A paid plan's period ends at Shopify's currentPeriodEnd; the free plan runs monthly
    from the install."""
    end = subscription.current_period_end if subscription else None
    if subscription and subscription.status == Subscription.Status.ACTIVE and end and end > at:
        return min(end - SUBSCRIPTION_PERIOD, at), end
    return monthly_bounds(shop.installed_at, at)
