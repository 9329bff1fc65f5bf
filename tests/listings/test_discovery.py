"""Discovery reads each marketplace's active listings over its API and links them to
Shopify variants by SKU, after the shared SKU mapping; the Shopify side comes from the
webhooks and the GraphQL reconciliation."""

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Account
from listings import linking, services
from listings.models import Listing
from orders.models import SkuMapping
from tests.listings.fixtures import Sims
from tests.shopify_webhooks import deliver

pytestmark = [pytest.mark.django_db]


def test_ebay_listings_link_by_sku_and_by_mapping_and_unknown_skus_stay_not_linked(
    sims: Sims, store: Any, connect: Callable[..., Account], link_all: Any
) -> None:
    sims.shopify.catalog.add_variant(store.domain, sku="MUG-RED", available=4, price="12.50")
    sims.shopify.catalog.add_variant(store.domain, sku="MUG-BLUE", available=6)
    account = connect(store, "ebay")
    SkuMapping.objects.create(shop=store, marketplace_sku="EB-BLUE", store_sku="MUG-BLUE")
    sims.ebay.add_item(account.external_id, "1", sku="MUG-RED", quantity=4, price="12.50")
    sims.ebay.add_item(account.external_id, "2", sku="EB-BLUE", quantity=6, price="19.99")
    sims.ebay.add_item(account.external_id, "3", sku="NOBODY-KNOWS", quantity=1)
    sims.ebay.add_item(account.external_id, "4", sku="", quantity=1)

    listings = {row.item_id: row for row in link_all(store, account)}

    assert listings["1"].status == Listing.Status.LIVE
    assert listings["1"].desired_quantity == 4 and listings["1"].desired_price == Decimal("12.50")
    assert listings["2"].store_sku == "MUG-BLUE" and listings["2"].status == Listing.Status.LIVE
    assert listings["3"].status == Listing.Status.NOT_LINKED
    assert listings["4"].status == Listing.Status.NOT_LINKED and listings["4"].sku == ""


def test_etsy_discovery_keeps_one_listing_per_product(
    sims: Sims, store: Any, connect: Callable[..., Account], link_all: Any
) -> None:
    sims.shopify.catalog.add_variant(store.domain, sku="HAT-S", available=1)
    account = connect(store, "etsy")
    sims.etsy.add_shop_listing(sims.etsy.default_user, 8001, skus=["HAT-S", "HAT-M"], quantity=1)

    listings = link_all(store, account)

    assert [(row.sku, row.item_id, row.status) for row in listings] == [
        ("HAT-S", "8001", Listing.Status.LIVE),
        ("HAT-M", "8001", Listing.Status.NOT_LINKED),
    ]


def test_amazon_is_asked_for_the_stores_skus_and_the_mapped_ones(
    sims: Sims, store: Any, connect: Callable[..., Account], link_all: Any
) -> None:
    sims.shopify.catalog.add_variant(store.domain, sku="LAMP-A", available=2)
    sims.shopify.catalog.add_variant(store.domain, sku="LAMP-B", available=3)
    account = connect(store, "amazon")
    SkuMapping.objects.create(
        shop=store, account=account, marketplace_sku="AMZ-LAMP-B", store_sku="LAMP-B"
    )
    sims.amazon.add_listing(account.external_id, "LAMP-A", quantity=2, asin="B000000001")
    sims.amazon.add_listing(account.external_id, "AMZ-LAMP-B", quantity=3)

    listings = {row.sku: row for row in link_all(store, account)}

    assert set(listings) == {"LAMP-A", "AMZ-LAMP-B"}
    assert listings["LAMP-A"].asin == "B000000001"
    assert listings["AMZ-LAMP-B"].store_sku == "LAMP-B"
    assert all(row.status == Listing.Status.LIVE for row in listings.values())


def test_a_manual_link_and_unlink(
    sims: Sims, store: Any, connect: Callable[..., Account], link_all: Any
) -> None:
    sims.shopify.catalog.add_variant(store.domain, sku="PLATE-1", available=9)
    account = connect(store, "ebay")
    sims.ebay.add_item(account.external_id, "9", sku="OLD-PLATE", quantity=9)
    (listing,) = link_all(store, account)
    assert listing.status == Listing.Status.NOT_LINKED

    linked = linking.link(shop=store, listing_id=listing.pk, store_sku="PLATE-1")
    assert linked.status == Listing.Status.LIVE and linked.desired_quantity == 9

    linking.unlink(shop=store, listing_id=listing.pk)
    listing.refresh_from_db()
    assert listing.status == Listing.Status.NOT_LINKED and listing.variant_id is None


def test_products_update_webhook_links_and_sets_the_desired_price(
    client: Any,
    sims: Sims,
    store: Any,
    connect: Callable[..., Account],
    link_all: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    account = connect(store, "ebay")
    sims.ebay.add_item(account.external_id, "5", sku="VASE-1", quantity=2, price="30.00")
    (listing,) = link_all(store, account)
    assert listing.status == Listing.Status.NOT_LINKED
    payload = {
        "id": 777,
        "title": "Vase",
        "variants": [
            {
                "id": 9001,
                "title": "Green",
                "sku": "VASE-1",
                "price": "34.00",
                "inventory_item_id": 5001,
            }
        ],
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(
            client, "products/update", json.dumps(payload).encode(), shop_domain=store.domain
        )

    assert response.status_code == 200
    listing.refresh_from_db()
    assert (listing.variant_id, listing.inventory_item_id) == (9001, 5001)
    assert listing.desired_price == Decimal("34.00")
    assert listing.status == Listing.Status.PENDING


def test_only_the_counted_locations_make_the_quantity(
    sims: Sims, store: Any, connect: Callable[..., Account], link_all: Any
) -> None:
    variant = sims.shopify.catalog.add_variant(store.domain, sku="JUG-1", available=4)
    sims.shopify.catalog.set_available(store.domain, variant.inventory_item_id, 2002, 10)
    account = connect(store, "ebay")
    sims.ebay.add_item(account.external_id, "6", sku="JUG-1", quantity=14)
    (listing,) = link_all(store, account)
    assert listing.desired_quantity == 14  # all locations by default

    services.set_counted_locations(shop=store, location_ids=[2002])

    listing.refresh_from_db()
    assert listing.desired_quantity == 10


def test_connecting_an_account_discovers_and_links_its_listings(
    sims: Sims, store: Any, connect: Callable[..., Account], django_capture_on_commit_callbacks: Any
) -> None:
    sims.shopify.catalog.add_variant(store.domain, sku="TRAY-1", available=3)
    sims.ebay.add_item(sims.ebay.default_user, "77", sku="TRAY-1", quantity=3, price="19.99")

    with django_capture_on_commit_callbacks(execute=True):
        account = connect(store, "ebay")

    (listing,) = Listing.objects.filter(account=account)
    assert listing.item_id == "77" and listing.status == Listing.Status.LIVE
