"""Queues by latency class (issue 12): with a thousand sync tasks queued ahead of it, an
"account expired" email goes out within seconds on a real worker listening on every queue,
instead of waiting its turn behind the sync work."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.conf import settings

from accounts.tasks import check_accounts
from notifications import services
from notifications.models import Category, Email
from tests.notifications.conftest import CONTEXTS
from tests.worker import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
EXPIRED = Category.ACCOUNT_EXPIRED
SYNC_TASKS = 1000
QUEUES = [queue.name for queue in settings.CELERY_TASK_QUEUES]


@pytest.fixture
def broker() -> Iterator["redis.Redis"]:
    """The test's Redis database, its queues empty before and after (kombu keeps each queue
    as a list named after it)."""
    client: redis.Redis = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    client.delete(*QUEUES)
    yield client
    client.delete(*QUEUES)
    client.close()


def test_an_expired_account_email_overtakes_a_thousand_queued_sync_tasks(
    real_worker: Callable[..., Worker],
    enqueue_for_real: None,
    broker: "redis.Redis",
    shop: Any,
    enable: Any,
) -> None:
    enable(shop)
    # Sync work queued first (a real task, sent where the jobs' tasks go), then the email.
    for _ in range(SYNC_TASKS):
        check_accounts.apply_async(args=([],), queue="sync")
    assert broker.llen("sync") == SYNC_TASKS
    notification = services.notify(
        shop=shop, category=EXPIRED, key="account:7", context=CONTEXTS[EXPIRED]
    )
    assert notification.email_id is not None

    worker = real_worker()  # no -Q: it consumes every queue the settings declare
    sent = Email.objects.filter(pk=notification.email_id, status=Email.Status.SENT)
    worker.wait_for(sent.exists)  # within tests/worker.py's generous 30 s

    # The worker took the email from its own queue: most of the sync work still waits.
    assert broker.llen("sync") > SYNC_TASKS // 2, worker.output()
