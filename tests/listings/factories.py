"""The listings app's rows and object URLs for the registry in tests/factories.py."""

from decimal import Decimal

from accounts.models import Account, Marketplace
from listings.models import (
    InventoryLevel,
    Listing,
    ListingCount,
    ListingPush,
    ListingSettings,
    StoreVariant,
)
from salestio.models import Shop
from tests.factories import UrlKwargs, make, model_factory, serial, url_object


def make_account(shop: Shop, marketplace: str = Marketplace.EBAY) -> Account:
    return Account.objects.create(
        shop=shop,
        marketplace=marketplace,
        name=f"{marketplace} of {shop.domain}",
        external_id=f"seller-{serial()}",
        refresh_token="refresh",
        status=Account.Status.ACTIVE,
    )


@model_factory("listings.Listing")
def _listing(shop: Shop) -> Listing:
    number = serial()
    return Listing.objects.create(
        shop=shop,
        account=make_account(shop),
        remote_key=f"{number}:SKU-{number}",
        sku=f"SKU-{number}",
        item_id=str(number),
        title=f"Mug of {shop.domain}",
        status=Listing.Status.UPDATE_ERROR,
        error_message=f"refused for {shop.domain}",
    )


@model_factory("listings.ListingCount")
def _listing_count(shop: Shop) -> ListingCount:
    listing = make("listings.Listing", shop)  # its trigger counts it
    assert isinstance(listing, Listing)
    return ListingCount.objects.get(shop=shop, marketplace="ebay", status=listing.status)


@model_factory("listings.ListingPush")
def _listing_push(shop: Shop) -> ListingPush:
    listing = make("listings.Listing", shop)
    assert isinstance(listing, Listing)
    return ListingPush.objects.create(
        listing=listing, quantity=3, outcome=ListingPush.Outcome.ERROR, message=shop.domain
    )


@model_factory("listings.InventoryLevel")
def _inventory_level(shop: Shop) -> InventoryLevel:
    return InventoryLevel.objects.create(
        shop=shop, inventory_item_id=serial(), location_id=1, available=4
    )


@model_factory("listings.ListingSettings")
def _listing_settings(shop: Shop) -> ListingSettings:
    return ListingSettings.objects.create(shop=shop, counted_location_ids=[1])


@model_factory("listings.StoreVariant")
def _store_variant(shop: Shop) -> StoreVariant:
    return StoreVariant.objects.create(
        shop=shop, variant_id=serial(), sku=f"SKU-{shop.domain}", price=Decimal("9.99")
    )


@url_object("listings:detail", "listings:update", "listings:link", "listings:unlink")
def _listing_url(shop: Shop) -> UrlKwargs:
    return {"listing_id": make("listings.Listing", shop).pk}


@url_object("listings:discover")
def _discover_url(shop: Shop) -> UrlKwargs:
    return {"account_id": make_account(shop).pk}
