"""Demo orders: the sandbox Shopify stocked for the demo shop, orders from the sandbox
marketplaces imported for real, one failing for a missing SKU (mapping ETSY-MUG-RED to
DEMO-MUG imports it), and one eBay fulfillment refused by eBay.

While `make demo` runs, demo.tasks.produce_demo_orders (beat) asks the Etsy and eBay
simulators for a new order every few minutes; the ordinary import job brings them in.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import requests
from django.utils import timezone

from accounts.models import Account
from demo.accounts import DEMO_ACCOUNTS
from orders import fulfillment, services
from orders.models import Order
from orders.normalize import Line, NormalizedOrder
from salestio.models import Shop

VARIANTS = [("SKU-1", 50), ("TEA-1", 50), ("DEMO-MUG", 20)]
MISSING_SKU = "ETSY-MUG-RED"
# An eBay order imported before and since removed at eBay: its tracking is refused.
GONE_ORDER = "12-99999-GONE"
DEMO_USERS: dict[str, str] = {str(m): user for m, _name, _site, user in DEMO_ACCOUNTS}
STREAM_SKUS = {"etsy": "SKU-1", "ebay": "TEA-1"}


def seed(shop: Shop, *, sandbox_url: str, **_: Any) -> None:
    if Order.objects.filter(shop=shop).exists():
        return
    stock_the_store(shop, sandbox_url)
    accounts = {a.marketplace: a for a in Account.objects.syncable().filter(shop=shop)}
    for marketplace in ("etsy", "ebay"):
        new_marketplace_order(sandbox_url, marketplace, STREAM_SKUS[marketplace])
    new_marketplace_order(sandbox_url, "etsy", MISSING_SKU)
    for account in accounts.values():
        services.import_account(account=account)
    if "ebay" in accounts:
        refused_fulfillment(accounts["ebay"], sandbox_url)


def stock_the_store(shop: Shop, sandbox_url: str) -> None:
    """The sandbox Shopify accepts the demo shop's token and sells its products."""
    response = requests.post(
        f"{sandbox_url}/shopify/_control/shops",
        json={
            "shop": shop.domain,
            "access_token": shop.access_token,
            "variants": [{"sku": sku, "quantity": quantity} for sku, quantity in VARIANTS],
        },
        timeout=10,
    )
    response.raise_for_status()


def new_marketplace_order(sandbox_url: str, marketplace: str, sku: str) -> str:
    response = requests.post(
        f"{sandbox_url}/{marketplace}/_sandbox/order",
        data={"user": DEMO_USERS[marketplace], "sku": sku},
        timeout=10,
    )
    response.raise_for_status()
    return response.text


def refused_fulfillment(account: Account, sandbox_url: str) -> None:
    """Export the gone eBay order, fulfil it in the sandbox Shopify, push the tracking:
    eBay answers that the order could not be found, and the refusal is recorded and mailed."""
    now = timezone.now()
    order = services.store_order(
        account=account,
        normalized=NormalizedOrder(
            order_id=GONE_ORDER,
            status="Completed",
            updated_at=now - timedelta(days=2),
            ordered_at=now - timedelta(days=2),
            currency="EUR",
            total=Decimal("24.99"),
            lines=(Line(f"{GONE_ORDER}-1", "TEA-1", "Demo item", 1, Decimal("24.99")),),
            buyer_name="Max Muster",
        ),
    )
    services.export_orders(order_ids=[order.pk])
    order.refresh_from_db()
    response = requests.post(
        f"{sandbox_url}/shopify/_control/fulfillments",
        json={
            "shop": account.shop.domain,
            "order_id": order.shopify_order_id,
            "company": "DHL",
            "number": "00340434161094000001",
            "send": False,  # the web server may not run yet: the payload is handled here
        },
        timeout=10,
    )
    response.raise_for_status()
    pushed = fulfillment.record_fulfillment(shop=account.shop, payload=response.json())
    if pushed is not None:
        fulfillment.push_fulfillments(fulfillment_ids=[pushed.pk])


def produce(shop: Shop, sandbox_url: str) -> list[str]:
    """One new order at each demo marketplace that has a syncable account."""
    syncable = Account.objects.syncable().filter(shop=shop)
    marketplaces = set(syncable.values_list("marketplace", flat=True)) & set(STREAM_SKUS)
    return [new_marketplace_order(sandbox_url, m, STREAM_SKUS[m]) for m in sorted(marketplaces)]
