"""A running worker survives what production throws at it: PostgreSQL dropping its connection
(a restart, a failover, pg_terminate_backend) costs no task, and no worker restart."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from salestio.models import Shop, WebhookEvent
from tests.shopify_webhooks import deliver
from tests.worker import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _processed(event_id: str) -> Callable[[], bool]:
    return lambda: WebhookEvent.objects.filter(
        event_id=event_id, status=WebhookEvent.Status.PROCESSED
    ).exists()


def _terminate_other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def test_the_next_task_after_the_database_dropped_the_workers_connection_succeeds(
    real_worker: Callable[..., Worker],
    enqueue_for_real: None,
    client: Any,
    make_shop: Callable[..., Shop],
) -> None:
    make_shop()
    running_worker = real_worker()
    assert deliver(client, "shop/update", event_id="before").status_code == 200
    running_worker.wait_for(_processed("before"))

    assert _terminate_other_backends() >= 1  # the worker's persistent connection

    assert deliver(client, "shop/update", event_id="after").status_code == 200
    running_worker.wait_for(_processed("after"))
    assert running_worker.process.poll() is None  # the same worker, not restarted
    assert "terminating connection" not in running_worker.output()
    assert running_worker.stop() == 0
