"""The demo shop's listings: a few live ones on each marketplace and one eBay listing in
Update Error, all reached through the production code path.

The sandbox is given Shopify variants and marketplace listings over its control endpoints;
the ordinary reconciliation (GraphQL) and discovery link them; a quantity of 0 on the eBay
item without out-of-stock control is then pushed for real and refused. The demo user fixes
it in the sandbox (`POST {sandbox}/ebay/_sandbox/items/{DEMO_BROKEN_ITEM}/out-of-stock-control`)
and presses Update on /listings/: the listing turns live. A quantity changed later in the
sandbox Shopify (`POST {sandbox}/shopify/_control/inventory` with shop, sku, available)
sends inventory_levels/update to the running app and reaches the marketplaces.

Needs the shop's sandbox-issued token (the billing seeder installs the shop through the
sandbox), so it runs after it. Idempotent: listings are keyed by their marketplace ids.
"""

from datetime import timedelta
from typing import Any

import requests
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import Account, Marketplace
from demo.wiring import sandbox_settings
from listings import linking, services
from listings import shopify as shopify_changes
from listings.models import Listing
from salestio.models import Shop
from sandbox import etsy

TIMEOUT = 10
DEMO_BROKEN_ITEM = "110000000009"
# (sku, price, available): the store's variants.
VARIANTS = [
    ("MUG-BLUE-M", "14.90", 12),
    ("MUG-RED-M", "14.90", 7),
    ("TEAPOT-1", "39.00", 3),
    ("SCARF-S", "24.00", 5),
    ("SCARF-L", "26.00", 4),
    ("LAMP-OAK", "89.00", 2),
    ("BOWL-STONE", "19.50", 6),
]
EBAY_ITEMS = [("110000000001", "MUG-BLUE-M"), ("110000000002", "TEAPOT-1")]
ETSY_LISTING = (7000001, ["SCARF-S", "SCARF-L"])
# The expired demo Amazon account cannot be asked; these stand for what it found before.
AMAZON_SKUS = ["MUG-RED-M", "LAMP-OAK"]


def seed(shop: Shop, **kwargs: Any) -> None:
    """kwargs: sandbox_url, where `python -m sandbox` answers (as seed_demo passes it)."""
    url = str(kwargs["sandbox_url"]).rstrip("/")
    accounts = {a.marketplace: a for a in Account.objects.filter(shop=shop)}
    for sku, price, available in VARIANTS:
        _post_json(
            f"{url}/shopify/_control/variants",
            shop=shop.domain,
            sku=sku,
            price=price,
            available=available,
        )
    if Marketplace.EBAY in accounts:
        _seed_ebay(url, accounts[Marketplace.EBAY])
    if Marketplace.ETSY in accounts:
        _seed_etsy(url)
    settings = {**sandbox_settings(url), "SHOPIFY_SHOP_ORIGIN": f"{url}/shopify/{{shop}}"}
    with override_settings(**settings):
        shopify_changes.reconcile(shop=shop)
        for marketplace in (Marketplace.EBAY, Marketplace.ETSY):
            if marketplace in accounts:
                linking.discover(account=accounts[marketplace])
        if Marketplace.AMAZON in accounts:
            _seed_amazon(shop, accounts[Marketplace.AMAZON])
        _break_one_ebay_listing(url, shop, accounts.get(Marketplace.EBAY))


def _post_json(url: str, **body: Any) -> dict[str, Any]:
    response = requests.post(url, json=body, timeout=TIMEOUT)
    response.raise_for_status()
    return dict(response.json())


def _post_form(url: str, **form: Any) -> None:
    requests.post(url, data=form, timeout=TIMEOUT).raise_for_status()


def _seed_ebay(url: str, account: Account) -> None:
    for item_id, sku in EBAY_ITEMS:
        _post_form(
            f"{url}/ebay/_sandbox/items",
            user=account.external_id,
            item_id=item_id,
            sku=sku,
            quantity=5,
        )
    _post_form(
        f"{url}/ebay/_sandbox/items",
        user=account.external_id,
        item_id=DEMO_BROKEN_ITEM,
        sku="BOWL-STONE",
        quantity=6,
        out_of_stock_control="0",
    )


def _seed_etsy(url: str) -> None:
    listing_id, skus = ETSY_LISTING
    _post_form(
        f"{url}/etsy/_sandbox/listings",
        user=etsy.EtsySimulator.default_user,
        listing_id=listing_id,
        skus=",".join(skus),
        quantity=5,
        title="Wool scarf",
    )


def _seed_amazon(shop: Shop, account: Account) -> None:
    for sku in AMAZON_SKUS:
        Listing.objects.get_or_create(
            account=account,
            remote_key=sku,
            defaults={
                "shop": shop,
                "sku": sku,
                "store_sku": sku,
                "title": sku,
                "product_type": "PRODUCT",
            },
        )
    linking.link_unlinked(shop=shop, listings=Listing.objects.filter(account=account))
    Listing.objects.filter(account=account).update(
        pushed_quantity=F("desired_quantity"), status=Listing.Status.LIVE, push_due_at=None
    )


def _break_one_ebay_listing(url: str, shop: Shop, account: Account | None) -> None:
    """Quantity 0 on the item without out-of-stock control: eBay refuses the push."""
    if account is None or account.status != Account.Status.ACTIVE:
        return
    broken = Listing.objects.filter(account=account, sku="BOWL-STONE")
    if broken.filter(status=Listing.Status.UPDATE_ERROR).exists():
        return  # seeded before: pushing again would only add another refused push
    _post_json(
        f"{url}/shopify/_control/inventory",
        shop=shop.domain,
        sku="BOWL-STONE",
        available=0,
        notify=False,
    )
    shopify_changes.reconcile(shop=shop)
    services.push_account(account=account, now=timezone.now() + timedelta(minutes=1))
