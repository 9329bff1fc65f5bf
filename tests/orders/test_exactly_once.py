"""Exactly once under real failures: a worker SIGKILLed between Shopify's answer and our commit,
and two import runs of one account at once."""

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.models import Account
from demo.wiring import sandbox_environment
from orders import services, tasks
from orders.models import Order, OrderStatus
from tests.concurrency import run_at_once
from tests.worker import Worker, start_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(transactional_db: None, sandbox: Any, tmp_path: Path) -> Iterator[Worker]:
    running = start_worker(
        tmp_path / "worker.log",
        **sandbox_environment(sandbox.url),
        SHOPIFY_SHOP_ORIGIN=f"{sandbox.url}/shopify/{{shop}}",
    )
    yield running
    running.kill()


def test_a_worker_killed_after_shopify_created_the_order_leaves_one_order(
    connect: Any,
    live_shop: Any,
    sims: Any,
    shopify: Any,
    worker: Worker,
    enqueue_for_real: None,
) -> None:
    account = connect(live_shop, "etsy")
    shopify.add_variant(live_shop.domain, "SKU-1")
    sims.etsy.add_receipt(sims.etsy.default_user, 31337)
    gate = shopify.hold_order_answers(live_shop.domain)

    tasks.import_account_orders.delay(account.pk)
    worker.wait_for(lambda: len(shopify.shop(live_shop.domain).orders) == 1)
    worker.process.send_signal(signal.SIGKILL)  # Shopify has the order; we never heard
    worker.process.wait()
    gate.set()
    order = Order.objects.get(account=account)
    assert order.status == OrderStatus.PENDING and not order.shopify_order_id

    shopify.shop(live_shop.domain).answer_gate = None
    tasks.import_account_orders.apply(args=(account.pk,))  # the next run, here in the test

    order.refresh_from_db()
    [created] = shopify.shop(live_shop.domain).orders
    assert order.status == OrderStatus.IMPORTED
    assert order.shopify_order_id == created["id"]
    assert order.log_lines.filter(message__contains="not created again").exists()


def test_two_runs_of_one_account_at_once_make_no_duplicate_and_no_gap(
    connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    account = connect(live_shop, "etsy")
    shopify.add_variant(live_shop.domain, "SKU-1")
    receipts = [sims.etsy.add_receipt(sims.etsy.default_user, 20000 + n) for n in range(12)]

    def run() -> int:
        fresh = Account.objects.select_related("shop").get(pk=account.pk)
        return len(services.import_account(account=fresh).stored)

    results, errors = run_at_once(run, threads=2)

    assert errors == []
    assert results == [12, 12]  # both runs saw every order
    created = shopify.shop(live_shop.domain).orders
    assert sorted(o["sourceIdentifier"] for o in created) == sorted(
        f"etsy:{account.pk}:{r['receipt_id']}" for r in receipts
    )
    assert Order.objects.filter(account=account, status=OrderStatus.IMPORTED).count() == 12
    account.refresh_from_db()
    newest = max(r["updated_timestamp"] for r in receipts)
    assert account.sync_cursor is not None
    assert int(account.sync_cursor.timestamp()) == newest
