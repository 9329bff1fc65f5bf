"""Reads for the dashboard counter and the plans page."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from billing.models import FREE_PLAN, Plan, Subscription, UsagePeriod, UsageState
from billing.money import format_money
from billing.usage import free_plan
from salestio.db import Read
from salestio.models import Shop

DAY = timedelta(days=1)


@dataclass(frozen=True)
class UsageSummary:
    used: Decimal
    limit: Decimal | None
    currency: str
    state: str
    ends_at: datetime | None
    # The day the period's daily pace reaches the limit; None: within the limit this period.
    reached_on: date | None

    @property
    def percent(self) -> Decimal | None:
        if not self.limit:
            return None
        return (self.used * 100 / self.limit).quantize(Decimal("0.1"))

    @property
    def used_text(self) -> str:
        return format_money(self.used, self.currency)

    @property
    def limit_text(self) -> str:
        return format_money(self.limit, self.currency) if self.limit else ""

    @property
    def bar_percent(self) -> int:
        """The progress bar's width: the percentage, capped at a full bar."""
        return min(int(self.percent or 0), 100)


# A dashboard read, written out (docs/architecture.md, "The dashboard's reads");
# one_open_usage_period serves it.
OPEN_PERIOD_SQL = f"SELECT * FROM {UsagePeriod._meta.db_table} WHERE shop_id = %s AND NOT closed"


def usage_summary(*, shop: Shop, now: datetime | None = None) -> UsageSummary:
    return usage_summary_read(shop=shop, now=now).run()


def usage_summary_read(
    *, shop: Shop, now: datetime | None = None
) -> Read[UsagePeriod, UsageSummary]:
    """One query for a shop with a counter row; two before its first one exists."""
    at = now or timezone.now()

    def summary(periods: list[UsagePeriod]) -> UsageSummary:
        if not periods:
            plan = current_plan(shop=shop)
            return UsageSummary(
                Decimal(0), plan.gmv_limit, plan.currency, UsageState.OK, None, None
            )
        (period,) = periods  # one_open_usage_period
        return UsageSummary(
            used=period.used,
            limit=period.gmv_limit,
            currency=period.currency,
            state=period.state,
            ends_at=period.ends_at,
            reached_on=forecast(period, at),
        )

    return Read(UsagePeriod, OPEN_PERIOD_SQL, [shop.pk], summary)


def forecast(period: UsagePeriod, now: datetime) -> date | None:
    """At the period's daily pace so far, the day the limit is reached, if before its end."""
    limit, used = period.gmv_limit, period.used
    if limit is None or used <= 0:
        return None
    if used >= limit:
        return now.date()
    elapsed_days = Decimal(max((now - period.starts_at) / DAY, 1))
    pace = used / elapsed_days
    reached = now + DAY * float((limit - used) / pace)
    return reached.date() if reached < period.ends_at else None


def current_plan(*, shop: Shop) -> Plan:
    """plan_of() the shop's subscription, in one query (the dashboard's before a first order):
    the plan an active subscription grants, else the free plan."""
    granted = Exists(
        Subscription.objects.filter(
            shop=shop, plan=OuterRef("pk"), status=Subscription.Status.ACTIVE
        )
    )
    found = (
        Plan.objects.alias(granted=granted)
        .filter(Q(granted=True) | Q(code=FREE_PLAN))
        .order_by(F("granted").desc())
        .first()
    )
    return found or free_plan()  # free_plan() recreates a deleted free plan


def plans() -> list[Plan]:
    return list(Plan.objects.filter(active=True))


def pending_plan(*, shop: Shop) -> Plan | None:
    subscription = Subscription.objects.select_related("pending_plan").filter(shop=shop).first()
    return subscription.pending_plan if subscription else None
