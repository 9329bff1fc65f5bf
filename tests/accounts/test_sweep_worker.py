"""A check batch under a real `celery worker` whose soft time limit fires mid-batch.

Celery delivers the soft limit as SoftTimeLimitExceeded raised wherever the task is (here:
waiting for the Etsy sandbox). The batch hands the account in hand and the rest back to the
queue, so every account is checked in the end and none is left leased for 15 minutes.
"""

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import Account
from accounts.tasks import check_accounts
from demo.wiring import sandbox_environment
from salestio.models import Shop
from tests.worker import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
SOFT_TIME_LIMIT = 2
CHECK_SECONDS = 0.8  # each account's check waits this long for Etsy


@pytest.fixture
def worker(real_worker: Callable[..., Worker], sandbox: Any) -> Worker:
    limits = {"CELERY_TASK_SOFT_TIME_LIMIT": str(SOFT_TIME_LIMIT), "CELERY_TASK_TIME_LIMIT": "30"}
    # The prefork pool is the one that enforces time limits (the solo pool does not).
    return real_worker(pool="prefork", **sandbox_environment(sandbox.url), **limits)


def test_a_batch_cut_by_the_soft_time_limit_hands_the_rest_back(
    connect: Any, shop: Shop, sims: Any, worker: Worker, enqueue_for_real: None
) -> None:
    ids = [connect(shop, "etsy", user=f"5000{n}", name=f"Shop {n}").pk for n in range(1, 6)]
    sims.etsy.latency["/v3/application/users/me"] = CHECK_SECONDS

    # The publisher's limits travel in the message (this process has the 120 s default); the
    # worker's own hand-backs carry its 2 s.
    check_accounts.apply_async((ids,), soft_time_limit=SOFT_TIME_LIMIT)

    checked = Account.objects.filter(pk__in=ids, last_checked_at__isnull=False)
    worker.wait_for(lambda: checked.count() == len(ids))
    assert set(Account.objects.values_list("status", flat=True)) == {Account.Status.ACTIVE}
    assert worker.stop() == 0  # its log is complete once it has exited
    assert "handed back" in worker.output() and "soft time limit" in worker.output()
