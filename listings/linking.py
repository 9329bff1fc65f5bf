"""Listings found on the marketplaces, linked to Shopify variants by SKU.

A marketplace SKU becomes a store SKU through the orders app's mapping (one table for order
import and listings); the store SKU finds the variant. No variant: the listing is *not
linked* and nothing is pushed to it. A listing without any SKU is kept, not linked.
"""

import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from accounts.credentials import call_marketplace
from accounts.marketplaces import MarketplaceError, RemoteListing
from accounts.models import Account, Marketplace
from listings import services
from listings.models import Listing, StoreVariant
from orders.models import SkuMapping
from orders.selectors import sku_mapping
from salestio.models import Shop
from salestio.shopify_api import ShopifyError

log = logging.getLogger(__name__)

# What discovery refreshes on a listing it finds again.
REMOTE_FIELDS = ("sku", "item_id", "asin", "product_id", "offering_id", "product_type", "title")


def discover(*, account: Account) -> int:
    """Read the account's active listings and link them; returns how many were found."""
    skus = _skus_to_ask(account) if account.marketplace == Marketplace.AMAZON else []
    remote = call_marketplace(account, lambda adapter: adapter.discover_listings(skus))
    mapping = sku_mapping(account=account)
    with transaction.atomic():
        for found in remote:
            _store(account, found, mapping.get(found.sku, found.sku))
        link_unlinked(shop=account.shop, listings=Listing.objects.filter(account=account))
    return len(remote)


def discover_after_connect(*, account: Account) -> int:
    """The first discovery runs beside a login: a failure is logged and shown nowhere
    worse than an empty listings page, where the merchant can start it again."""
    from listings.shopify import reconcile

    try:
        # One attempt: beside a login nothing waits out an outage; the periodic one retries.
        reconcile(shop=account.shop, attempts=1)
    except ShopifyError as exc:
        log.warning("store variants not read on connect: %s", exc)
    try:
        return discover(account=account)
    except MarketplaceError as exc:
        log.warning("listings of %s not discovered on connect: %s", account, exc)
        return 0


def _skus_to_ask(account: Account) -> list[str]:
    """Amazon is asked SKU by SKU: the store's SKUs and the marketplace SKUs mapped to them."""
    store = StoreVariant.objects.filter(shop_id=account.shop_id).exclude(sku="")
    mapped = SkuMapping.objects.filter(
        Q(account=account) | Q(account__isnull=True), shop_id=account.shop_id
    )
    skus = set(store.values_list("sku", flat=True)) | set(
        mapped.values_list("marketplace_sku", flat=True)
    )
    return sorted(skus)


def _store(account: Account, found: RemoteListing, store_sku: str) -> None:
    values = {name: getattr(found, name) for name in REMOTE_FIELDS}
    listing, created = Listing.objects.get_or_create(
        account=account,
        remote_key=found.remote_key,
        defaults={"shop_id": account.shop_id, **values, "store_sku": store_sku},
    )
    # The marketplace's quantity and price are what it holds now: the last pushed state.
    listing.pushed_quantity = found.quantity
    listing.pushed_price = found.price if found.price is not None else listing.pushed_price
    if not created:
        for name, value in values.items():
            setattr(listing, name, value)
        listing.store_sku = listing.store_sku or store_sku
    if not found.active:
        listing.status = Listing.Status.NOT_ACTIVE
    elif listing.status == Listing.Status.NOT_ACTIVE:
        listing.status = Listing.Status.NOT_LINKED
    listing.save()


def link_unlinked(*, shop: Shop, listings: "Iterable[Listing] | None" = None) -> int:
    """Link every not-linked listing whose store SKU names a known variant."""
    rows = (
        Listing.objects.filter(shop=shop, status=Listing.Status.NOT_LINKED)
        .exclude(store_sku="")
        .select_related("shop", "account")
    )
    if listings is not None:
        rows = rows.filter(pk__in=[listing.pk for listing in listings])
    variants = {
        v.sku: v
        for v in StoreVariant.objects.filter(
            shop=shop, sku__in=rows.values_list("store_sku", flat=True)
        )
    }
    linked = [row for row in rows if row.store_sku in variants]
    for row in linked:
        _attach(row, variants[row.store_sku])
    Listing.objects.bulk_update(
        linked, ["variant_id", "inventory_item_id", "desired_price", "status", "currency"]
    )
    services.refresh_quantities(
        shop=shop,
        inventory_item_ids={v.inventory_item_id for v in variants.values() if v.inventory_item_id},
    )
    _push_prices(shop, [row.variant_id for row in linked if row.variant_id])
    return len(linked)


def _attach(listing: Listing, variant: StoreVariant) -> None:
    listing.variant_id = variant.variant_id
    listing.inventory_item_id = variant.inventory_item_id
    listing.desired_price = variant.price
    listing.currency = listing.shop.currency
    listing.status = Listing.Status.LIVE


def _push_prices(shop: Shop, variant_ids: Sequence[int]) -> None:
    for variant in StoreVariant.objects.filter(
        shop=shop, variant_id__in=variant_ids, price__isnull=False
    ):
        services.set_desired(
            listings=Listing.objects.filter(shop=shop, variant_id=variant.variant_id),
            price=variant.price,
        )


def link(*, shop: Shop, listing_id: int, store_sku: str) -> Listing:
    """The merchant links a listing to a store SKU by hand."""
    listing = Listing.objects.get(shop=shop, pk=listing_id)
    listing.store_sku = store_sku.strip()
    listing.variant_id = listing.inventory_item_id = None
    if listing.status != Listing.Status.NOT_ACTIVE:
        listing.status = Listing.Status.NOT_LINKED
    listing.save()
    link_unlinked(shop=shop, listings=[listing])
    listing.refresh_from_db()
    return listing


def unlink(*, shop: Shop, listing_id: int) -> None:
    """The merchant unlinks a listing: it no longer follows Shopify."""
    Listing.objects.filter(shop=shop, pk=listing_id).exclude(
        status=Listing.Status.NOT_ACTIVE
    ).update(
        store_sku="",
        variant_id=None,
        inventory_item_id=None,
        status=Listing.Status.NOT_LINKED,
        push_due_at=None,
        error_message="",
        error_at=None,
    )


def record_variants(
    *, shop: Shop, variants: Iterable[tuple[int, int | None, str, str, Decimal | None]]
) -> None:
    """Store Shopify variants (id, inventory item, SKU, title, price), then link and price."""
    rows = [
        StoreVariant(
            shop=shop, variant_id=vid, inventory_item_id=item, sku=sku, title=title, price=price
        )
        for vid, item, sku, title, price in variants
    ]
    StoreVariant.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["shop", "variant_id"],
        update_fields=["inventory_item_id", "sku", "title", "price", "updated_at"],
    )
    link_unlinked(shop=shop)
    _push_prices(shop, [row.variant_id for row in rows])
