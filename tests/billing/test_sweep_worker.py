"""The GMV-limit sweep on a real `celery worker` over Redis: the beat task fans the counter
rows whose state must change out in batches, and the batch tasks move them, each banner once."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from billing import tasks, usage
from billing.models import UsagePeriod
from notifications.models import Banner, BannerKind
from salestio.models import Shop
from tests.worker import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_the_sweep_fans_out_and_the_batches_move_the_states(
    real_worker: Callable[..., Worker],
    enqueue_for_real: None,
    make_shop: Callable[..., Shop],
    settings: Any,
) -> None:
    shops = [make_shop(f"swept-{n}.myshopify.com") for n in range(5)]
    # Counters written behind billing's back (a bulk correction): only the sweep notices.
    for shop, used in zip(shops, ["500", "850", "900", "1000", "1200"], strict=True):
        UsagePeriod.objects.filter(pk=usage.open_period(shop).pk).update(used=Decimal(used))
    settings.BILLING_SWEEP_BATCH = 2  # the beat task runs in this process: 2 batches of 2

    worker = real_worker()
    assert tasks.sweep_usage_limits() == 2

    states = UsagePeriod.objects.filter(shop__in=shops).order_by("shop__domain")
    expected = ["ok", "near", "near", "exceeded", "exceeded"]
    worker.wait_for(lambda: list(states.values_list("state", flat=True)) == expected)
    assert Banner.objects.filter(kind=BannerKind.PLAN_LIMIT_NEAR).count() == 2
    assert Banner.objects.filter(kind=BannerKind.PLAN_LIMIT_EXCEEDED).count() == 2
    assert worker.stop() == 0
    assert worker.output().count("billing.tasks.check_usage_limits") >= 2
