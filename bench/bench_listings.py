"""Listing sync: 10,000 quantity changes across 1,000 listings on the three sandbox
marketplaces, pushed over real HTTP, against the fewest marketplace calls possible.

The shop, its three accounts (connected through the simulators' login), 1,000 Shopify
variants and the marketplaces' listings (400 eBay items, 300 Amazon SKUs, 300 Etsy products
in 150 listings) are linked through the app's own services (see _link: webhook-shaped variant
and stock records, eBay and Etsy discovery, Amazon rows from the simulator's records). Then
each change goes through the inventory_levels/update handler (desired state only), and the
push task runs until nothing is due. The floor: after coalescing, each changed listing once,
eBay four per ReviseInventoryStatus, Etsy one updateListingInventory per changed listing,
Amazon one patchListingsItem per SKU (no JSON_LISTINGS_FEED yet). Calls counted are the
marketplaces' write calls as the simulators received them (Etsy also reads the inventory
before each write; reads are not counted). Lost: listings whose marketplace quantity is not
the last desired one. BENCH_LISTINGS_CHANGES changes the size.
"""

import math
import os
import random
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bench.bench_notify import _scratch_database

CHANGES = int(os.environ.get("BENCH_LISTINGS_CHANGES", "10000"))
EBAY, AMAZON, ETSY_LISTINGS = 400, 300, 150  # Etsy: two products per listing


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salestio.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.test.utils import override_settings, setup_test_environment

    from demo.wiring import sandbox_settings
    from salestio.celery import app
    from sandbox.server import SandboxConfig, SandboxServer

    setup_test_environment(debug=False)
    app.conf.update(task_always_eager=True)
    config = SandboxConfig(shopify_api_key="bench-key", shopify_api_secret="bench-secret")
    with _scratch_database(), SandboxServer(config) as server:
        wiring = {
            **sandbox_settings(server.url),
            "SHOPIFY_SHOP_ORIGIN": f"{server.url}/shopify/{{shop}}",
            # Changes arrive faster than any debounce; the pushes run afterwards.
            "LISTING_PUSH_DEBOUNCE": timedelta(hours=1),
        }
        with override_settings(**wiring):
            _run(server)


def _run(server: Any) -> None:
    from django.utils import timezone

    from listings import services
    from listings import shopify as shopify_changes
    from listings.models import Listing, ListingPush

    sims = {name: server.sandbox[f"/{name}"] for name in ("shopify", "amazon", "ebay", "etsy")}
    setup_started = time.perf_counter()
    shop, accounts, variants = _link(sims)
    setup = time.perf_counter() - setup_started
    print(f"bench_listings: setup (link {len(variants):,} listings) {setup:.1f} s")
    rng = random.Random(20261130)
    last: dict[int, int] = {}
    started = time.perf_counter()
    for _ in range(CHANGES):
        variant = rng.choice(variants)
        available = rng.randrange(1, 500)
        last[variant.inventory_item_id] = available
        shopify_changes.on_inventory_level_update(
            shop,
            {
                "inventory_item_id": variant.inventory_item_id,
                "location_id": 1001,
                "available": available,
            },
        )
    changed_at = time.perf_counter()
    calls_before = _write_calls(sims)
    due = timezone.now() + timedelta(hours=2)
    for account in accounts:
        while services.push_account(account=account, now=due):
            pass
    finished = time.perf_counter()
    made = _write_calls(sims) - calls_before
    minimum = _minimum(Listing, last)
    pushes = ListingPush.objects.filter(outcome=ListingPush.Outcome.SENT).count()
    lost = _lost(sims, accounts, last)
    print(f"bench_listings: {CHANGES:,} changes across {len(variants):,} listings, 3 marketplaces")
    per_change = (changed_at - started) / CHANGES * 1000
    print(f"  changes in:   {changed_at - started:7.2f} s  ({per_change:.2f} ms/change)")
    print(f"  pushes out:   {finished - changed_at:7.2f} s  pushes={pushes:,}")
    print(f"  calls:        made={made:,}  minimum={minimum:,}")
    print(f"  wall/change:  {(finished - started) / CHANGES * 1000:.2f} ms against the sandbox")
    print(f"RESULT listings calls_ratio={made / minimum:.3f} lost={lost}")


def _link(sims: dict[str, Any]) -> tuple[Any, list[Any], list[Any]]:
    from demo.accounts import connect_through_sandbox
    from listings import linking, services
    from salestio.models import Shop

    token = (
        sims["shopify"].shop("bench.myshopify.com").issue("bench", expiring=False)["access_token"]
    )
    shop = Shop.objects.create(domain="bench.myshopify.com", access_token=token, currency="EUR")
    ebay = connect_through_sandbox(shop, "ebay", "eBay", "77", sims["ebay"].default_user)
    amazon = connect_through_sandbox(shop, "amazon", "Amazon", "DE", sims["amazon"].default_user)
    etsy = connect_through_sandbox(shop, "etsy", "Etsy", "", sims["etsy"].default_user)
    skus = [f"B-{n:04}" for n in range(EBAY + AMAZON + 2 * ETSY_LISTINGS)]
    variants = [
        sims["shopify"].catalog.add_variant(shop.domain, sku=sku, price="19.99", available=1)
        for sku in skus
    ]
    for n in range(EBAY):
        sims["ebay"].add_item(
            ebay.external_id, str(200000 + n), sku=skus[n], quantity=1, price="19.99"
        )
    for sku in skus[EBAY : EBAY + AMAZON]:
        sims["amazon"].add_listing(amazon.external_id, sku, quantity=1)
    etsy_skus = skus[EBAY + AMAZON :]
    for n in range(ETSY_LISTINGS):
        sims["etsy"].add_shop_listing(
            sims["etsy"].default_user, 300000 + n, skus=etsy_skus[2 * n : 2 * n + 2], quantity=1
        )
    # Setup only, kept cheap: the variants and their stock arrive as a products/update and
    # inventory webhooks would bring them (GraphQL reconciliation pages through the sandbox's
    # throttle for minutes), and the Amazon SKUs are linked from the simulator's records
    # (discovery would ask getListingsItem once per store SKU). eBay and Etsy are discovered.
    linking.record_variants(
        shop=shop,
        variants=[(v.id, v.inventory_item_id, v.sku, v.title, Decimal(v.price)) for v in variants],
    )
    services.record_inventory_levels(
        shop=shop, levels=[(v.inventory_item_id, 1001, v.available) for v in variants]
    )
    _link_amazon(amazon, sims["amazon"].listings[amazon.external_id])
    for account in (ebay, etsy):
        linking.discover(account=account)
    return shop, [ebay, amazon, etsy], variants


def _link_amazon(account: Any, records: dict[str, dict[str, Any]]) -> None:
    from listings import linking
    from listings.models import Listing

    Listing.objects.bulk_create(
        Listing(
            shop_id=account.shop_id,
            account=account,
            remote_key=sku,
            sku=sku,
            store_sku=sku,
            asin=record["asin"],
            product_type=record["productType"],
            title=record["itemName"],
            pushed_quantity=record["quantity"],
            pushed_price=Decimal(record["price"]),
        )
        for sku, record in records.items()
    )
    linking.link_unlinked(shop=account.shop, listings=Listing.objects.filter(account=account))


def _write_calls(sims: dict[str, Any]) -> int:
    return int(
        sims["ebay"].revise_calls
        + len(sims["amazon"].listing_patches)
        + len(sims["etsy"].inventory_writes)
    )


def _minimum(listing_model: Any, last: dict[int, int]) -> int:
    """After coalescing: every changed listing once; eBay by four; Etsy per listing."""
    changed = listing_model.objects.filter(inventory_item_id__in=list(last)).select_related(
        "account"
    )
    per = Counter(row.account.marketplace for row in changed)
    etsy_listings = {row.item_id for row in changed if row.account.marketplace == "etsy"}
    return math.ceil(per["ebay"] / 4) + per["amazon"] + len(etsy_listings)


def _lost(sims: dict[str, Any], accounts: list[Any], last: dict[int, int]) -> int:
    from listings.models import Listing

    lost = 0
    for listing in Listing.objects.filter(inventory_item_id__in=list(last)).select_related(
        "account"
    ):
        if _remote_quantity(sims, listing) != last.get(listing.inventory_item_id or 0):
            lost += 1
    return lost


def _remote_quantity(sims: dict[str, Any], listing: Any) -> int | None:
    marketplace, seller = listing.account.marketplace, listing.account.external_id
    if marketplace == "ebay":
        return int(sims["ebay"].items[seller][listing.item_id]["Quantity"])
    if marketplace == "amazon":
        return int(sims["amazon"].listings[seller][listing.sku]["quantity"])
    products = sims["etsy"].inventories[int(listing.item_id)]["products"]
    return next(int(p["offerings"][0]["quantity"]) for p in products if p["sku"] == listing.sku)
