"""A check batch under a real `celery worker` whose soft time limit fires mid-batch.

Celery delivers the soft limit as SoftTimeLimitExceeded raised wherever the task is (here:
waiting for the Etsy sandbox). The batch hands the account in hand and the rest back to the
queue, so every account is checked in the end and none is left leased for 15 minutes.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from accounts.models import Account
from accounts.tasks import check_accounts
from demo.wiring import sandbox_environment
from tests.salestio.test_worker import Worker, database_url_of_this_test

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
SOFT_TIME_LIMIT = 2
CHECK_SECONDS = 0.8  # each account's check waits this long for Etsy


@pytest.fixture
def worker(transactional_db: None, sandbox: Any, tmp_path: Path) -> Iterator[Worker]:
    env = {
        **os.environ,
        **sandbox_environment(sandbox.url),
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": os.environ["TEST_REDIS_URL"],
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_SOFT_TIME_LIMIT": str(SOFT_TIME_LIMIT),
        "CELERY_TASK_TIME_LIMIT": "30",
        "LOG_LEVEL": "INFO",
    }
    # The prefork pool is the one that enforces time limits (the solo pool does not).
    command = [sys.executable, "-m", "celery", "-A", "salestio", "worker", "--pool", "prefork"]
    command += ["--concurrency", "1", "--without-gossip", "--without-mingle"]
    command += ["--without-heartbeat", "--hostname", f"accounts-{os.getpid()}@%h"]
    command += ["--loglevel", "INFO"]
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    running = Worker(process, log_path)
    yield running
    running.stop()


def test_a_batch_cut_by_the_soft_time_limit_hands_the_rest_back(
    connect: Any, shop: Any, sims: Any, worker: Worker, enqueue_for_real: None
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
