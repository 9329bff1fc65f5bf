"""Redis is down while Shopify delivers: every webhook still gets its 200 once its event row is
committed, and once Redis is back the outbox sweep hands each event to a real worker, which
processes each exactly once (issue 8: the event was committed, the enqueue failed, and the
RECEIVED row was never picked up again)."""

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings

from notifications.models import Email
from salestio.models import OutboxTask, Shop, WebhookEvent
from tests.live_app import live_app
from tests.redis_server import RedisServer
from tests.shopify_webhooks import WEBHOOK_PATH, recorded, shopify_timestamp, sign
from tests.worker import Worker, database_url_of_this_test

pytestmark = pytest.mark.postgres
DELIVERIES = 100
NEW_SHOP = "installed-during-outage.myshopify.com"
PROCESSED_LINE = re.compile(r"webhook shop/update (outage-\d+) processed")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _deliver(app_url: str, event_id: str) -> int:
    body = recorded("shop/update")
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "shop/update",
        "X-Shopify-Hmac-Sha256": sign(body),
        "X-Shopify-Shop-Domain": "shop-a.myshopify.com",
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Triggered-At": shopify_timestamp(datetime.now(UTC)),
    }
    return requests.post(f"{app_url}{WEBHOOK_PATH}", data=body, headers=headers, timeout=30)\
        .status_code  # fmt: skip


def _call(env: dict[str, str], task: str) -> None:
    """What beat does on its schedule: publish the sweep task (the worker runs it)."""
    command = [sys.executable, "-m", "celery", "-A", "salestio", "call", task]
    subprocess.run(command, cwd=settings.BASE_DIR, env={**os.environ, **env}, check=True,
                   capture_output=True)  # fmt: skip


def _run_sweep(env: dict[str, str]) -> None:
    _call(env, "salestio.tasks.requeue_unprocessed_webhooks")


def _count(status: str) -> Callable[[], bool]:
    return lambda: WebhookEvent.objects.filter(status=status).count() == DELIVERIES


def test_webhooks_delivered_while_redis_is_down_are_each_processed_once_it_is_back(
    transactional_db: None,
    tmp_path: Path,
    broker: RedisServer,
    real_worker: Callable[..., Worker],
    make_shop: Callable[..., Shop],
) -> None:
    make_shop()
    env = {
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": broker.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "OUTBOX_LEASE_S": "1",
    }
    with live_app(tmp_path, env) as app:
        broker.stop()
        statuses = [_deliver(app.url, f"outage-{n}") for n in range(DELIVERIES)]
        web_log = app.output()
    assert statuses == [200] * DELIVERIES, web_log
    assert web_log.count("left to the outbox sweep") == DELIVERIES
    assert _count(WebhookEvent.Status.RECEIVED)()

    broker.start()
    worker: Worker = real_worker(**env)
    try:
        _run_sweep(env)
        worker.wait_for(_count(WebhookEvent.Status.PROCESSED))
        _run_sweep(env)  # a later sweep finds nothing left to publish
        worker.wait_for(lambda: worker.output().count("requeue_unprocessed_webhooks") >= 4)
    finally:
        assert worker.stop() == 0
    processed = Counter(PROCESSED_LINE.findall(worker.output()))
    assert len(processed) == DELIVERIES
    assert set(processed.values()) == {1}


def test_an_install_and_a_test_email_while_redis_is_down_are_done_once_it_is_back(
    transactional_db: None,
    tmp_path: Path,
    broker: RedisServer,
    sandbox: Any,
    real_worker: Callable[..., Worker],
    make_shop: Callable[..., Shop],
) -> None:
    """The first load's shop-details job (an OutboxTask) and the email (its own row) were
    committed but never published: the page still loads, the button still answers, and the
    sweeps hand both to the worker once Redis is back."""
    shop = make_shop()
    shopify = sandbox.sandbox["/shopify"]
    env = {
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": broker.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "OUTBOX_LEASE_S": "1",
        "SHOPIFY_SHOP_ORIGIN": f"{sandbox.url}/shopify/{{shop}}",
    }
    with live_app(tmp_path, env) as app:
        broker.stop()
        first_load = requests.get(
            app.url, params={"id_token": shopify.session_token(NEW_SHOP)}, timeout=30
        )
        test_email = requests.post(
            f"{app.url}/settings/test-email/",
            headers={"Authorization": f"Bearer {shopify.session_token(shop.domain)}"},
            allow_redirects=False,
            timeout=30,
        )
        web_log = app.output()
    assert (first_load.status_code, test_email.status_code) == (200, 302), web_log
    assert OutboxTask.objects.filter(task_name="salestio.tasks.sync_shop_details").count() == 1
    assert Email.objects.get(shop=shop).status == Email.Status.QUEUED

    broker.start()
    worker = real_worker(**env)
    try:
        _call(env, "salestio.tasks.publish_outbox")
        _call(env, "notifications.tasks.requeue_stalled_emails")
        worker.wait_for(lambda: Shop.objects.filter(domain=NEW_SHOP).exclude(name="").exists())
        worker.wait_for(lambda: Email.objects.filter(status=Email.Status.SENT).exists())
    finally:
        assert worker.stop() == 0
    assert not OutboxTask.objects.exists()
    assert Shop.objects.get(domain=NEW_SHOP).owner_email  # from Shopify's shop query
