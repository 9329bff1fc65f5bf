"""The demo's listings: seeded through the sandbox's control endpoints and the production
code path; the Update Error is fixed in the sandbox and Update turns the listing live."""

from collections.abc import Callable
from typing import Any

import pytest
import requests

from accounts.models import Account
from demo import listings as demo_listings
from listings import services
from listings.models import Listing
from tests.listings.fixtures import Sims

pytestmark = [pytest.mark.django_db]


def test_the_demo_has_live_listings_and_one_ebay_update_error_that_update_fixes(
    sandbox: Any,
    sims: Sims,
    store: Any,
    connect: Callable[..., Account],
    push: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ebay_account, etsy_account = connect(store, "ebay"), connect(store, "etsy")

    with django_capture_on_commit_callbacks(execute=True):
        demo_listings.seed(store, sandbox_url=sandbox.url)
    push(etsy_account)  # the worker, once the debounce has passed: store prices go out

    broken = Listing.objects.get(account=ebay_account, item_id=demo_listings.DEMO_BROKEN_ITEM)
    assert broken.status == Listing.Status.UPDATE_ERROR
    assert Listing.objects.filter(account=ebay_account, status=Listing.Status.LIVE).count() == 2
    assert Listing.objects.filter(account=etsy_account, status=Listing.Status.LIVE).count() == 2

    fix = f"{sandbox.url}/ebay/_sandbox/items/{demo_listings.DEMO_BROKEN_ITEM}/out-of-stock-control"
    assert requests.post(fix, timeout=10).status_code == 204
    services.request_update(shop=store, listing_ids=[broken.pk])
    push(ebay_account)

    broken.refresh_from_db()
    assert broken.status == Listing.Status.LIVE
