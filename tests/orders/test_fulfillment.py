"""Tracking back to each marketplace on Shopify's fulfillments/create, over real HTTP."""

import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from billing import limits, usage
from notifications.models import Category, Email, NotificationSettings
from orders import tasks
from orders.models import Fulfillment, FulfillmentStatus, Order
from tests.orders.conftest import plan
from tests.shopify_webhooks import deliver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def fulfil(client: Any, shopify: Any, shop: Any, order: Order, company: str, number: str) -> Any:
    payload = shopify.fulfill(shop.domain, order.shopify_order_id, company=company, number=number)
    body = json.dumps(payload).encode()
    response = deliver(client, "fulfillments/create", body, shop_domain=shop.domain)
    assert response.status_code == 200, response.content
    return Fulfillment.objects.get(order=order)


def imported(account: Any) -> Order:
    tasks.import_account_orders(account.pk)
    order = Order.objects.get(account=account)
    assert order.shopify_order_id
    return order


def test_etsy_gets_the_receipt_shipment(
    client: Any, connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    account = connect(live_shop, "etsy")
    shopify.add_variant(live_shop.domain, "SKU-1")
    receipt = sims.etsy.add_receipt(sims.etsy.default_user, 4242)
    order = imported(account)

    fulfillment = fulfil(client, shopify, live_shop, order, "DHL", "00340434161094042557")

    assert fulfillment.status == FulfillmentStatus.SENT
    [shipment] = receipt["shipments"]
    assert shipment["tracking_code"] == "00340434161094042557"
    assert shipment["carrier_name"] == "dhl"


def test_ebay_gets_complete_sale_with_tracking(
    client: Any, connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    from tests.orders.test_import import ebay_order

    account = connect(live_shop, "ebay")
    shopify.add_variant(live_shop.domain, "TEA-1")
    ebay_order(sims, "12-00077", "TEA-1")
    order = imported(account)

    fulfil(client, shopify, live_shop, order, "Deutsche Post", "RR123456789DE")

    [sale] = sims.ebay.completed_sales
    assert sale["order_id"] == "12-00077" and sale["tracking"] == "RR123456789DE"


def test_amazon_gets_confirm_shipment(
    client: Any, connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    from tests.orders.test_import import amazon_item

    account = connect(live_shop, "amazon")
    shopify.add_variant(live_shop.domain, "MUG-1")
    sims.amazon.add_order(
        sims.amazon.default_user,
        "302-0000009-0000009",
        items=[amazon_item("302-0000009-0000009", "MUG-1", 3, "30.00", "4.79")],
    )
    order = imported(account)

    fulfil(client, shopify, live_shop, order, "UPS", "1Z999AA10123456784")

    [shipment] = sims.amazon.shipments
    package = shipment["packageDetail"]
    assert shipment["order_id"] == "302-0000009-0000009"
    assert package["carrierCode"] == "UPS"
    assert package["trackingNumber"] == "1Z999AA10123456784"
    assert package["orderItems"] == [{"orderItemId": "302-0000009-0000009-MUG-1", "quantity": 3}]


def test_a_refusal_is_recorded_and_mailed_once(
    client: Any, connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    from tests.orders.test_import import ebay_order

    NotificationSettings.objects.update_or_create(
        shop=live_shop, defaults={"fulfillment_failed": True}
    )
    account = connect(live_shop, "ebay")
    shopify.add_variant(live_shop.domain, "TEA-1")
    ebay_order(sims, "12-00099", "TEA-1")
    order = imported(account)
    sims.ebay.orders[sims.ebay.default_user].clear()  # eBay no longer knows the order

    fulfillment = fulfil(client, shopify, live_shop, order, "DHL", "X1")
    tasks.push_due_fulfillments()  # the catch-up does not send a refused one again

    assert fulfillment.status == FulfillmentStatus.FAILED
    assert "could not be found" in fulfillment.error
    assert order.log_lines.filter(message__startswith="Fulfillment failed").exists()
    [email] = Email.objects.filter(shop=live_shop, category=Category.FULFILLMENT_FAILED)
    assert "12-00099" in email.text
    assert sims.ebay.completed_sales == []


def test_fulfillment_flows_while_exports_are_paused(
    client: Any, connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    account = connect(live_shop, "etsy")
    shopify.add_variant(live_shop.domain, "SKU-1")
    receipt = sims.etsy.add_receipt(sims.etsy.default_user, 5151)
    order = imported(account)
    # Down to the free plan (1,000 EUR) and over it: exports pause, tracking must not.
    usage.apply_plan(shop=live_shop, plan=plan("free"))
    limits.record_order_usage(
        shop=live_shop,
        key="other-sales",
        amount=Decimal("5000"),
        currency="EUR",
        occurred_at=timezone.now(),
    )
    assert limits.exports_paused(live_shop)

    fulfil(client, shopify, live_shop, order, "DHL", "P1")

    assert receipt["shipments"][0]["tracking_code"] == "P1"
