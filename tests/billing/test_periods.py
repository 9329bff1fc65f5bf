"""Billing periods: monthly from install on the free plan, rollover across the period's end
(time-machine), the GMV sweep, and the daily-pace forecast."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from billing import limits, selectors, tasks, usage
from billing.models import Plan, UsagePeriod, UsageState
from billing.periods import add_months, monthly_bounds
from notifications.models import Banner
from salestio.models import Shop
from tests.billing.conftest import usage_of

AddOrder = Callable[..., None]
INSTALLED = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def test_months_are_counted_from_the_install_day_clamped_to_short_months() -> None:
    assert add_months(INSTALLED, 1) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    at = datetime(2026, 3, 15, tzinfo=UTC)
    assert monthly_bounds(INSTALLED, at) == (
        datetime(2026, 2, 28, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 9, 0, tzinfo=UTC),
    )


def test_a_free_shops_period_runs_monthly_from_its_install(
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop(installed_at=INSTALLED)
    with time_machine.travel(datetime(2026, 3, 15, tzinfo=UTC), tick=False):
        period = usage.open_period(shop)
    assert (period.starts_at, period.ends_at) == (
        datetime(2026, 2, 28, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 9, 0, tzinfo=UTC),
    )


def test_rollover_after_the_periods_end_starts_at_ok_and_lifts_the_pause(
    shop: Shop,
    starter: Plan,
    add_order: AddOrder,
    lifted: list[Shop],
    django_capture_on_commit_callbacks: Any,
) -> None:
    add_order("5200")
    ended = usage_of(shop)
    assert limits.exports_paused(shop)
    with time_machine.travel(ended.ends_at + timedelta(minutes=1)):
        assert limits.exports_paused(shop)  # until the rollover task runs
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.roll_over_usage_periods() == 1
        assert tasks.roll_over_usage_periods() == 0
        current = usage_of(shop)
        assert current.pk != ended.pk and current.starts_at >= ended.ends_at - timedelta(days=31)
        assert (current.used, current.state, current.gmv_limit) == (
            Decimal("0.00"),
            UsageState.OK,
            Decimal("5000.00"),
        )
        assert not limits.exports_paused(shop)
        assert not Banner.objects.filter(shop=shop, resolved_at=None).exists()
        add_order("100")
        assert usage_of(shop).used == Decimal("100.00")
    assert lifted == [shop]
    assert UsagePeriod.objects.get(pk=ended.pk).used == Decimal("5200.00")


def test_a_return_of_an_order_from_an_ended_period_changes_that_period_only(
    shop: Shop, starter: Plan, add_order: AddOrder
) -> None:
    add_order("300", key="order:old")
    ended = usage_of(shop)
    bought_at = timezone.now()
    with time_machine.travel(ended.ends_at + timedelta(days=1)):
        tasks.roll_over_usage_periods()
        add_order("-300", key="order:old:returned", at=bought_at)
        assert usage_of(shop).used == Decimal("0")
    assert UsagePeriod.objects.get(pk=ended.pk).used == Decimal("0.00")


def test_the_sweep_moves_only_rows_whose_state_no_longer_matches(
    shop: Shop, make_shop: Callable[..., Shop], starter: Plan, add_order: AddOrder
) -> None:
    add_order("100")
    quiet = make_shop("quiet.myshopify.com")
    usage.open_period(quiet)
    # Usage written behind billing's back (e.g. a bulk correction): only the sweep notices.
    UsagePeriod.objects.filter(shop=shop).update(used=Decimal("4500"))
    batches: list[list[int]] = []
    assert usage.fan_out_limit_checks(enqueue=batches.append, size=10) == 1
    assert batches == [[usage_of(shop).pk]]
    tasks.check_usage_limits(batches[0])
    assert usage_of(shop).state == UsageState.NEAR
    assert usage.fan_out_limit_checks(enqueue=batches.append, size=10) == 0


def test_the_sweep_pages_through_candidates_in_batches(make_shop: Callable[..., Shop]) -> None:
    for n in range(5):
        period = usage.open_period(make_shop(f"s{n}.myshopify.com"))
        UsagePeriod.objects.filter(pk=period.pk).update(used=Decimal("2000"))  # free: 1,000
    batches: list[list[int]] = []
    assert usage.fan_out_limit_checks(enqueue=batches.append, size=2) == 3
    assert [len(b) for b in batches] == [2, 2, 1]


@pytest.mark.parametrize(
    ("day", "used", "expected"),
    [
        (10, "4000", "2026-03-13"),  # 400 a day: the last 1,000 take 2.5 more days
        (10, "1000", None),  # 100 a day: 4,000 more would take past the period's end
        (10, "0", None),
        (20, "5000", "2026-03-21"),  # reached: today
    ],
)
def test_the_forecast_follows_the_periods_daily_pace(
    shop: Shop, starter: Plan, day: int, used: str, expected: str | None
) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    period = UsagePeriod.objects.create(
        shop=shop,
        starts_at=start,
        ends_at=datetime(2026, 3, 31, tzinfo=UTC),
        gmv_limit=Decimal("5000"),
        currency="EUR",
        used=Decimal(used),
    )
    reached = selectors.forecast(period, start + timedelta(days=day))
    assert (reached.isoformat() if reached else None) == expected


def test_after_an_upgrade_the_next_period_follows_the_subscriptions_billing_cycle(
    shop: Shop, add_order: AddOrder
) -> None:
    from billing.models import Subscription
    from tests.billing.conftest import on_plan

    add_order("10")
    ended = usage_of(shop)
    on_plan(shop, "growth")
    cycle_end = ended.ends_at + timedelta(days=12)
    Subscription.objects.filter(shop=shop).update(current_period_end=cycle_end)
    with time_machine.travel(ended.ends_at + timedelta(minutes=5)):
        tasks.roll_over_usage_periods()
    following = usage_of(shop)
    assert (following.starts_at, following.ends_at) == (ended.ends_at, cycle_end)
    assert following.gmv_limit == Decimal("25000.00")
