"""A webhook runs end to end on a real `celery worker` process over the Redis broker.

The app answers the delivery and enqueues `process_webhook` on Redis after commit; the worker,
pointed at this test's PostgreSQL database, picks it up and applies it.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest

from salestio.models import Shop, WebhookEvent
from tests.shopify_webhooks import deliver
from tests.worker import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def worker(real_worker: Callable[..., Worker]) -> Worker:
    return real_worker()


def test_the_worker_applies_a_shop_update_webhook(
    worker: Worker,
    enqueue_for_real: None,
    client: Any,
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop()
    assert deliver(client, "shop/update", event_id="evt-worker").status_code == 200

    def processed() -> bool:
        return WebhookEvent.objects.filter(
            event_id="evt-worker", status=WebhookEvent.Status.PROCESSED
        ).exists()

    worker.wait_for(processed)
    shop.refresh_from_db()
    assert (shop.name, shop.owner_email, shop.currency) == (
        "Super Toys",
        "super@supertoys.com",
        "USD",
    )
    assert re.search(r"Task salestio\.tasks\.process_webhook\[\S+\] succeeded", worker.output())
    assert worker.stop() == 0
