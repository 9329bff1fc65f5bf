"""Concurrency on real PostgreSQL: workers crossing a threshold together tell the merchant
once, and concurrent usage from separate worker processes adds up to the exact sum."""

import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from billing import limits
from billing.models import Plan, UsageLine, UsageState
from notifications.models import Banner, BannerKind, Category, Notification
from salestio.models import Shop
from tests.billing.conftest import on_plan, usage_of
from tests.concurrency import run_at_once
from tests.worker import database_url_of_this_test

pytestmark = pytest.mark.postgres
WORKERS = 4


def record_from_thread(shop: Shop, amount: str) -> Callable[[], None]:
    counter = iter(range(WORKERS))
    keys = [f"order:race:{n}" for n in range(WORKERS)]

    def work() -> None:
        limits.record_order_usage(
            shop=shop,
            key=keys[next(counter)],
            amount=Decimal(amount),
            currency="EUR",
            occurred_at=timezone.now(),
        )

    return work


@pytest.mark.parametrize(
    ("start", "each", "state", "kind"),
    [
        ("3900", "100", UsageState.NEAR, BannerKind.PLAN_LIMIT_NEAR),
        ("4900", "100", UsageState.EXCEEDED, BannerKind.PLAN_LIMIT_EXCEEDED),
    ],
)
def test_workers_crossing_together_raise_one_banner_and_one_notification(
    transactional_db: None,
    make_shop: Callable[..., Shop],
    start: str,
    each: str,
    state: str,
    kind: str,
) -> None:
    shop = make_shop()
    on_plan(shop, "starter")
    limits.record_order_usage(
        shop=shop,
        key="order:base",
        amount=Decimal(start),
        currency="EUR",
        occurred_at=timezone.now(),
    )
    _, errors = run_at_once(record_from_thread(shop, each), threads=WORKERS)
    assert not errors, errors
    period = usage_of(shop)
    assert (period.used, period.state) == (Decimal(start) + WORKERS * Decimal(each), state)
    assert Banner.objects.filter(shop=shop, kind=kind).count() == 1
    crossing = Notification.objects.filter(shop=shop, category=Category.PLAN_LIMIT)
    assert crossing.filter(context__exceeded=(state == UsageState.EXCEEDED)).count() == 1


WORKER_SCRIPT = """
import os, sys
from decimal import Decimal
import django
django.setup()
from django.utils import timezone
from billing import limits
from salestio.models import Shop
shop = Shop.objects.get(pk=int(sys.argv[1]))
for n in range(int(sys.argv[3])):
    limits.record_order_usage(
        shop=shop, key=f"order:{sys.argv[2]}:{n}", amount=Decimal("1.01"), currency="EUR",
        occurred_at=timezone.now(),
    )
"""


def test_two_worker_processes_adding_usage_at_once_sum_exactly(
    transactional_db: None, make_shop: Callable[..., Shop]
) -> None:
    shop = make_shop()
    plan: Plan = on_plan(shop, "pro")
    # No counter row yet: the two processes also race to open it.
    per_worker = 150
    env: dict[str, Any] = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_test(),
        "DJANGO_SETTINGS_MODULE": "salestio.settings",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT, str(shop.pk), name, str(per_worker)], env=env
        )
        for name in ("w1", "w2")
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    assert UsageLine.objects.filter(shop=shop).count() == 2 * per_worker
    assert usage_of(shop).used == Decimal("1.01") * 2 * per_worker
    assert plan.gmv_limit and usage_of(shop).used < plan.gmv_limit


def test_two_workers_rolling_over_the_same_period_open_one_and_lift_once(
    transactional_db: None, make_shop: Callable[..., Shop], lifted: list[Shop]
) -> None:
    from datetime import timedelta

    from billing import usage
    from billing.models import UsagePeriod

    shop = make_shop()
    on_plan(shop, "starter")
    limits.record_order_usage(
        shop=shop,
        key="order:1",
        amount=Decimal("5000"),
        currency="EUR",
        occurred_at=timezone.now(),
    )
    ended = usage_of(shop)
    after_end = ended.ends_at + timedelta(seconds=1)
    results, errors = run_at_once(
        lambda: usage.roll_over(period_id=ended.pk, now=after_end), threads=WORKERS
    )
    assert not errors, errors
    assert sum(result is not None for result in results) == 1
    assert UsagePeriod.objects.filter(shop=shop, closed=False).count() == 1
    assert [s.pk for s in lifted] == [shop.pk]
