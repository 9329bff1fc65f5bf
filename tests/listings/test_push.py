"""Quantity changes in Shopify reach each sandbox marketplace over real HTTP, coalesced and
batched; refusals become Update Error, throttling and outages are retried."""

import json
import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from billing import usage
from billing.models import UsagePeriod, UsageState
from billing.signals import limit_lifted
from listings import services
from listings.models import Listing, ListingPush
from salestio.models import Shop
from tests.listings.fixtures import Sims, Sync
from tests.shopify_webhooks import deliver

pytestmark = [pytest.mark.django_db]


def _variants(sims: Sims, shop: Any, skus: list[str], available: int = 5) -> list[Any]:
    return [
        sims.shopify.catalog.add_variant(shop.domain, sku=sku, available=available) for sku in skus
    ]


@pytest.mark.parametrize("count", [1, 4, 5, 10])
def test_ebay_gets_every_change_in_ceil_n_over_4_revise_calls(
    sync: Sync,
    count: int,
) -> None:
    sims, store, connect, link_all, change_quantity, push = sync
    skus = [f"MUG-{n}" for n in range(count)]
    variants = _variants(sims, store, skus)
    account = connect(store, "ebay")
    for n, sku in enumerate(skus):
        sims.ebay.add_item(account.external_id, str(110000 + n), sku=sku, quantity=5)
    link_all(store, account)
    for n, variant in enumerate(variants):
        change_quantity(store, variant.inventory_item_id, 20 + n)
    calls_before = sims.ebay.revise_calls

    assert push(account) == count

    assert sims.ebay.revise_calls - calls_before == math.ceil(count / 4)
    items = sims.ebay.items[account.external_id]
    assert [items[str(110000 + n)]["Quantity"] for n in range(count)] == [
        20 + n for n in range(count)
    ]
    assert set(Listing.objects.values_list("status", flat=True)) == {Listing.Status.LIVE}


def test_amazon_gets_a_fulfillment_availability_patch_with_the_new_quantity(
    sync: Sync,
) -> None:
    sims, store, connect, link_all, change_quantity, push = sync
    (variant,) = _variants(sims, store, ["LAMP-1"])
    account = connect(store, "amazon")
    sims.amazon.add_listing(account.external_id, "LAMP-1", quantity=5)
    link_all(store, account)
    change_quantity(store, variant.inventory_item_id, 7)

    push(account)

    patch = sims.amazon.listing_patches[-1]
    assert patch["sku"] == "LAMP-1"
    assert patch["patches"][0]["path"] == "/attributes/fulfillment_availability"
    assert patch["patches"][0]["value"][0]["quantity"] == 7
    assert sims.amazon.listings[account.external_id]["LAMP-1"]["quantity"] == 7


def _change_price(client: Any, capture: Any, shop: Any, variant: Any, price: str) -> None:
    """The merchant changes a variant's price; Shopify's products/update reaches the intake."""
    product = {"id": variant.product_id, "title": "Lamp", "variants": [variant.as_rest()]}
    product["variants"][0]["price"] = price
    with capture(execute=True):
        response = deliver(
            client, "products/update", json.dumps(product).encode(), shop_domain=shop.domain
        )
    assert response.status_code == 200


def test_amazon_patch_carries_the_price_only_when_it_changed(
    client: Any,
    sync: Sync,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sims, store, connect, link_all, change_quantity, push = sync
    variant = sims.shopify.catalog.add_variant(
        store.domain, sku="LAMP-9", available=5, price="19.99"
    )
    account = connect(store, "amazon")
    sims.amazon.add_listing(account.external_id, "LAMP-9", quantity=5, price="19.99")
    (listing,) = link_all(store, account)
    assert listing.status == Listing.Status.LIVE and listing.pushed_price == Decimal("19.99")

    _change_price(client, django_capture_on_commit_callbacks, store, variant, "24.50")
    assert push(account) == 1

    patch = sims.amazon.listing_patches[-1]
    assert patch["sku"] == "LAMP-9"
    offer = {
        "marketplace_id": "A1PA6795UKMFR9",  # amazon.de, the account's site
        "currency": store.currency,
        "audience": "ALL",
        "our_price": [{"schedule": [{"value_with_tax": 24.5}]}],
    }
    assert patch["patches"] == [
        {
            "op": "replace",
            "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 5}],
        },
        {"op": "replace", "path": "/attributes/purchasable_offer", "value": [offer]},
    ]
    remote = sims.amazon.listings[account.external_id]["LAMP-9"]
    assert (Decimal(remote["price"]), remote["currency"]) == (Decimal("24.50"), store.currency)
    listing.refresh_from_db()
    assert (listing.status, listing.pushed_price) == (Listing.Status.LIVE, Decimal("24.50"))

    change_quantity(store, variant.inventory_item_id, 3)
    assert push(account) == 1
    paths = [p["path"] for p in sims.amazon.listing_patches[-1]["patches"]]
    assert paths == ["/attributes/fulfillment_availability"]
    assert len(sims.amazon.listing_patches) == 2


def test_etsy_gets_one_inventory_write_per_listing_carrying_all_its_offerings(
    sync: Sync,
) -> None:
    sims, store, connect, link_all, change_quantity, push = sync
    small, large = _variants(sims, store, ["SCARF-S", "SCARF-L"])
    account = connect(store, "etsy")
    sims.etsy.add_shop_listing(
        sims.etsy.default_user, 7001, skus=["SCARF-S", "SCARF-L"], quantity=5
    )
    link_all(store, account)
    change_quantity(store, small.inventory_item_id, 2)
    change_quantity(store, large.inventory_item_id, 9)

    assert push(account) == 2

    assert len(sims.etsy.inventory_writes) == 1
    written = sims.etsy.inventory_writes[0]["products"]
    assert [(p["sku"], p["offerings"][0]["quantity"]) for p in written] == [
        ("SCARF-S", 2),
        ("SCARF-L", 9),
    ]


def test_twenty_changes_within_a_second_push_once_with_the_last_value(
    sync: Sync,
    settings: Any,
) -> None:
    sims, store, connect, link_all, change_quantity, push = sync
    # The window is a second in production; the test's webhook deliveries are slower.
    settings.LISTING_PUSH_DEBOUNCE = timedelta(seconds=30)
    (variant,) = _variants(sims, store, ["CUP-1"])
    account = connect(store, "ebay")
    sims.ebay.add_item(account.external_id, "120001", sku="CUP-1", quantity=5)
    link_all(store, account)
    calls_before = sims.ebay.revise_calls

    for available in range(1, 21):
        change_quantity(store, variant.inventory_item_id, available)
    assert sims.ebay.revise_calls == calls_before  # nothing before the debounce
    push(account, after=timedelta(seconds=31))
    push(account, after=timedelta(seconds=31))

    assert sims.ebay.revise_calls - calls_before == 1
    assert sims.ebay.items[account.external_id]["120001"]["Quantity"] == 20
    assert ListingPush.objects.filter(outcome=ListingPush.Outcome.SENT).count() == 1


def test_a_permanent_refusal_is_an_update_error_with_one_email_and_no_automatic_retry(
    sync: Sync,
    emails_on: Any,
) -> None:
    sims, store, connect, link_all, change_quantity, push = sync
    emails_on(store)
    (variant,) = _variants(sims, store, ["BOWL-1"])
    account = connect(store, "ebay")
    sims.ebay.add_item(
        account.external_id, "130001", sku="BOWL-1", quantity=5, out_of_stock_control=False
    )
    (listing,) = link_all(store, account)
    change_quantity(store, variant.inventory_item_id, 0)

    push(account)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.UPDATE_ERROR
    assert "Quantity is not valid" in listing.error_message
    (email,) = mail.outbox
    assert "BOWL-1" in email.body and "Quantity is not valid" in email.body
    calls = sims.ebay.revise_calls
    change_quantity(store, variant.inventory_item_id, 0)
    push(account)
    push(account)
    assert sims.ebay.revise_calls == calls  # waits for the merchant's Update
    assert len(mail.outbox) == 1


def test_update_succeeds_once_the_cause_is_fixed(
    sync: Sync,
) -> None:
    sims, store, connect, link_all, change_quantity, push = sync
    (variant,) = _variants(sims, store, ["BOWL-2"])
    account = connect(store, "ebay")
    sims.ebay.add_item(
        account.external_id, "130002", sku="BOWL-2", quantity=5, out_of_stock_control=False
    )
    (listing,) = link_all(store, account)
    change_quantity(store, variant.inventory_item_id, 0)
    push(account)
    sims.ebay.items[account.external_id]["130002"]["OutOfStockControl"] = True

    services.request_update(shop=store, listing_ids=[listing.pk])
    push(account)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.LIVE
    assert listing.error_message == ""
    assert sims.ebay.items[account.external_id]["130002"]["Quantity"] == 0


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_outages_are_retried_and_never_an_update_error(
    sync: Sync,
    status: int,
) -> None:
    sims, store, connect, link_all, change_quantity, push = sync
    (variant,) = _variants(sims, store, ["LAMP-2"])
    account = connect(store, "amazon")
    sims.amazon.add_listing(account.external_id, "LAMP-2", quantity=5)
    (listing,) = link_all(store, account)
    change_quantity(store, variant.inventory_item_id, 3)
    sims.amazon.fail_next(status, times=2, path="/listings")

    push(account)
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING and listing.attempts >= 1
    push(account, after=timedelta(hours=1))
    push(account, after=timedelta(hours=1))

    listing.refresh_from_db()
    assert listing.status == Listing.Status.LIVE
    assert sims.amazon.listings[account.external_id]["LAMP-2"]["quantity"] == 3
    assert mail.outbox == []


def test_throttling_past_the_last_retry_becomes_an_update_error(
    sync: Sync,
    settings: Any,
) -> None:
    sims, store, connect, link_all, change_quantity, push = sync
    settings.LISTING_PUSH_MAX_ATTEMPTS = 2
    (variant,) = _variants(sims, store, ["LAMP-3"])
    account = connect(store, "amazon")
    sims.amazon.add_listing(account.external_id, "LAMP-3", quantity=5)
    (listing,) = link_all(store, account)
    change_quantity(store, variant.inventory_item_id, 3)
    sims.amazon.fail_next(429, times=5, path="/listings")

    for _ in range(3):
        push(account, after=timedelta(hours=1))

    listing.refresh_from_db()
    assert listing.status == Listing.Status.UPDATE_ERROR
    assert "429" in listing.error_message


def test_paused_over_the_plan_limit_and_the_latest_value_pushed_once_when_lifted(
    sync: Sync,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sims, store, connect, link_all, change_quantity, push = sync
    (variant,) = _variants(sims, store, ["KETTLE-1"])
    account = connect(store, "ebay")
    sims.ebay.add_item(account.external_id, "140001", sku="KETTLE-1", quantity=5)
    link_all(store, account)
    calls = sims.ebay.revise_calls
    # Over the limit, as billing records it (its own tests cover how a period gets there).
    period = usage.open_period(store)
    UsagePeriod.objects.filter(pk=period.pk).update(state=UsageState.EXCEEDED)
    for available in (4, 3, 2):
        change_quantity(store, variant.inventory_item_id, available)
    push(account)
    assert sims.ebay.revise_calls == calls

    UsagePeriod.objects.filter(pk=period.pk).update(state=UsageState.OK)
    with django_capture_on_commit_callbacks(execute=True):
        limit_lifted.send(sender=Shop, shop=store)
    push(account)

    assert sims.ebay.revise_calls == calls + 1
    assert sims.ebay.items[account.external_id]["140001"]["Quantity"] == 2


def test_a_push_lost_with_its_worker_is_taken_again_once_its_lease_ends(
    sync: Sync, settings: Any
) -> None:
    """The push claimed the listing (committed) and its worker died before any outcome: the
    listing stays Pending while the lease runs, then the sweep finds it due and the next push
    sends the latest value, once (tests/listings/test_worker_killed.py: with a real worker
    SIGKILLed mid-push)."""
    sims, store, connect, link_all, change_quantity, push = sync
    (variant,) = _variants(sims, store, ["BOWL-1"])
    account = connect(store, "ebay")
    sims.ebay.add_item(account.external_id, "130001", sku="BOWL-1", quantity=5)
    link_all(store, account)
    change_quantity(store, variant.inventory_item_id, 7)
    now = timezone.now() + timedelta(seconds=2)
    [lost] = services.claim_due(account=account, now=now, limit=10)  # …and the worker dies
    calls_before = sims.ebay.revise_calls

    def due_accounts(at: datetime) -> list[int]:
        found: list[int] = []
        services.fan_out_due(now=at, enqueue=found.append)
        return found

    during_lease = now + settings.LISTING_PUSH_LEASE - timedelta(seconds=1)
    assert due_accounts(during_lease) == []
    assert push(account, after=during_lease - timezone.now()) == 0

    after_lease = now + settings.LISTING_PUSH_LEASE + timedelta(seconds=1)
    assert due_accounts(after_lease) == [account.pk]
    assert push(account, after=after_lease - timezone.now()) == 1

    assert sims.ebay.revise_calls - calls_before == 1
    assert sims.ebay.items[account.external_id]["130001"]["Quantity"] == 7
    listing = Listing.objects.get(pk=lost.listing.pk)
    assert (listing.status, listing.push_claimed_until) == (Listing.Status.LIVE, None)
    assert due_accounts(after_lease) == []
