"""A worker SIGKILLed while eBay holds its ReviseInventoryStatus call: the push had claimed the
listing (a lease) and records nothing. While the lease runs neither the beat sweep nor another
push task sends the listing again; once it ends, the sweep finds it due and a second worker
sends the latest quantity, once, and the listing ends Live."""

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from celery.result import AsyncResult
from django.utils import timezone

from demo.wiring import sandbox_environment
from listings.models import Listing, ListingPush
from listings.tasks import push_account, push_due
from tests.listings.fixtures import Sims, Sync
from tests.worker import Worker, publishing_tasks

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
TRADING = "/ws/api.dll"
# Long enough for the second worker to start and take its turn inside it on a busy machine.
LEASE_S = 15


def _worker(real_worker: Callable[..., Worker], sandbox: Any) -> Worker:
    return real_worker(**sandbox_environment(sandbox.url), LISTING_PUSH_LEASE_S=str(LEASE_S))


def _revisions(sims: Sims) -> int:
    """ReviseInventoryStatus calls that reached eBay, answered or not."""
    return sum(b"ReviseInventoryStatus" in r.data for r in sims.ebay.received_at(TRADING))


def _result_of(worker: Worker, task: AsyncResult) -> str:
    """What the task returned, as the worker logs it once the task has run."""
    pattern = re.compile(rf"\[{task.id}\] succeeded in [0-9.]+s: (.*)")
    worker.wait_for(lambda: pattern.search(worker.output()) is not None)
    found = pattern.search(worker.output())
    assert found is not None
    return found.group(1)


def test_a_push_cut_by_a_killed_worker_is_sent_once_after_its_lease_ends(
    real_worker: Callable[..., Worker],
    sync: Sync,
    sandbox: Any,
) -> None:
    sims, store, connect, link_all, change_quantity, _ = sync
    variant = sims.shopify.catalog.add_variant(store.domain, sku="BOWL-1", available=5)
    account = connect(store, "ebay")
    sims.ebay.add_item(account.external_id, "130001", sku="BOWL-1", quantity=5)
    (listing,) = link_all(store, account)
    # eBay holds the first Trading call, the push's, then drops it unapplied: only a push
    # after it can deliver the 7.
    sims.ebay.fail_next(500, delay=60, path=TRADING)

    with publishing_tasks():  # from the webhook on, every task runs in a worker
        change_quantity(store, variant.inventory_item_id, 7)
        first = _worker(real_worker, sandbox)
        try:
            first.wait_for(lambda: _revisions(sims) == 1)
            first.kill()  # mid-push: nothing recorded, the task never acknowledged
        finally:
            first.stop()
        listing.refresh_from_db()
        assert listing.status == Listing.Status.PENDING and listing.push_due_at is None
        lease_ends = listing.push_claimed_until
        assert lease_ends is not None and lease_ends > timezone.now()

        second = _worker(real_worker, sandbox)
        try:
            # In the lease: the beat's sweep and a push task for the account find nothing due.
            assert _result_of(second, push_due.delay()) == "0"
            assert _result_of(second, push_account.delay(account.pk)) == "0"
            assert timezone.now() < lease_ends, "the lease ended before the checks: lengthen it"
            assert _revisions(sims) == 1

            time.sleep((lease_ends - timezone.now()).total_seconds() + 0.5)
            assert _result_of(second, push_due.delay()) == "1"  # the sweep after the lease
            live = Listing.objects.filter(pk=listing.pk, status=Listing.Status.LIVE)
            second.wait_for(live.exists)
        finally:
            assert second.stop() == 0
    assert (_revisions(sims), sims.ebay.revise_calls) == (2, 1)
    assert sims.ebay.items[account.external_id]["130001"]["Quantity"] == 7
    listing.refresh_from_db()
    assert (listing.pushed_quantity, listing.push_claimed_until) == (7, None)
    assert ListingPush.objects.filter(outcome=ListingPush.Outcome.SENT).count() == 1
