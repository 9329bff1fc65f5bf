"""Order import over real HTTP: marketplace simulators → the app → the sandbox Shopify."""

from decimal import Decimal
from typing import Any

import pytest

from accounts.marketplaces import PermanentError
from notifications.models import Category, Email, NotificationSettings
from orders import services, tasks
from orders.models import Order, OrderStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def created_orders(shopify: Any, shop: Any) -> list[dict[str, Any]]:
    return list(shopify.shop(shop.domain).orders)


def amazon_item(order_id: str, sku: str, quantity: int, price: str, tax: str) -> dict[str, Any]:
    return {
        "ASIN": "B00SANDBOX1",
        "OrderItemId": f"{order_id}-{sku}",
        "SellerSKU": sku,
        "Title": f"Product {sku}",
        "QuantityOrdered": quantity,
        "ItemPrice": {"CurrencyCode": "EUR", "Amount": price},
        "ItemTax": {"CurrencyCode": "EUR", "Amount": tax},
        "ShippingPrice": {"CurrencyCode": "EUR", "Amount": "4.90"},
    }


def test_amazon_orders_become_shopify_orders(
    connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    account = connect(live_shop, "amazon")
    mug = shopify.add_variant(live_shop.domain, "MUG-1", quantity=10)
    order = sims.amazon.add_order(
        sims.amazon.default_user,
        "302-0000001-0000001",
        items=[amazon_item("302-0000001-0000001", "MUG-1", 2, "39.98", "6.38")],
    )
    order["OrderTotal"] = {"CurrencyCode": "EUR", "Amount": "44.88"}
    order["BuyerInfo"] = {"BuyerEmail": "erika@marketplace.amazon.de", "BuyerName": "E. M."}
    order["ShippingAddress"] = {
        "Name": "Erika Mustermann",
        "AddressLine1": "Hauptstr. 1",
        "City": "Berlin",
        "PostalCode": "10115",
        "CountryCode": "DE",
    }

    tasks.import_account_orders(account.pk)

    [created] = created_orders(shopify, live_shop)
    sent = created["input"]
    assert sent["currency"] == "EUR"
    assert sent["sourceIdentifier"] == f"amazon:{account.pk}:302-0000001-0000001"
    assert sent["sourceName"] == "amazon"
    [line] = sent["lineItems"]
    assert line["variantId"] == mug.gid and line["quantity"] == 2
    assert line["priceSet"]["shopMoney"] == {"amount": "19.99", "currencyCode": "EUR"}
    assert line["taxLines"][0]["priceSet"]["shopMoney"]["amount"] == "6.38"
    assert sent["shippingLines"][0]["priceSet"]["shopMoney"]["amount"] == "4.90"
    # Buyer and address come only with a Restricted Data Token (see the next test).
    assert sent["email"] == "erika@marketplace.amazon.de"
    assert sent["shippingAddress"] == {
        "firstName": "Erika",
        "lastName": "Mustermann",
        "address1": "Hauptstr. 1",
        "city": "Berlin",
        "zip": "10115",
        "countryCode": "DE",
    }
    assert sent["transactions"][0]["amountSet"]["shopMoney"]["amount"] == "44.88"
    assert created["options"]["sendReceipt"] is False
    assert shopify.catalog.by_sku(live_shop.domain, "MUG-1").available == 8
    stored = Order.objects.get(account=account)
    assert stored.status == OrderStatus.IMPORTED
    assert stored.shopify_order_name == created["name"]
    account.refresh_from_db()
    assert account.sync_cursor is not None


def test_amazon_buyer_and_address_are_asked_for_with_a_restricted_data_token(
    connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    account = connect(live_shop, "amazon")
    shopify.add_variant(live_shop.domain, "SKU-1", quantity=10)
    sims.amazon.add_order(sims.amazon.default_user, "302-0000002-0000002")

    tasks.import_account_orders(account.pk)

    [asked] = sims.amazon.received_at("/tokens/2021-03-01/restrictedDataToken", "POST")
    # sp_api adds the marketplace ids to every POST body; the schema allows extra properties.
    assert asked.json["restrictedResources"] == [
        {
            "method": "GET",
            "path": "/orders/v0/orders",
            "dataElements": ["buyerInfo", "shippingAddress"],
        }
    ]
    [created] = created_orders(shopify, live_shop)
    assert created["input"]["email"] == "302-0000002-0000002@marketplace.amazon.de"
    assert created["input"]["shippingAddress"]["address1"] == "Hauptstr. 1"
    stored = Order.objects.get(account=account)
    assert stored.buyer_name == "Erika Mustermann"


def test_a_refused_restricted_data_token_fails_the_fetch_and_creates_nothing(
    connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    account = connect(live_shop, "amazon")
    shopify.add_variant(live_shop.domain, "SKU-1", quantity=10)
    sims.amazon.add_order(sims.amazon.default_user, "302-0000003-0000003")
    # Amazon's answer to a seller without the PII role: the token request is refused.
    sims.amazon.fail_next(403, path="/tokens/")

    with pytest.raises(PermanentError, match="403 Unauthorized"):
        tasks.import_account_orders(account.pk)

    assert created_orders(shopify, live_shop) == []
    assert not Order.objects.filter(account=account).exists()


def ebay_order(sims: Any, order_id: str, sku: str) -> None:
    order = sims.ebay.add_order(sims.ebay.default_user, order_id)
    order["Total"] = {"@currencyID": "GBP", "#text": "25.00"}
    order["ShippingAddress"] = {
        "Name": "Jane Doe",
        "Street1": "1 High St",
        "CityName": "London",
        "PostalCode": "SW1A 1AA",
        "Country": "GB",
    }
    order["ShippingServiceSelected"] = {
        "ShippingService": "UK_RoyalMailFirstClass",
        "ShippingServiceCost": {"@currencyID": "GBP", "#text": "3.00"},
    }
    order["TransactionArray"] = {
        "Transaction": [
            {
                "OrderLineItemID": f"{order_id}-1",
                "Item": {"SKU": sku, "Title": "Tea"},
                "QuantityPurchased": "2",
                "TransactionPrice": {"@currencyID": "GBP", "#text": "11.00"},
                "Taxes": {"TotalTaxAmount": {"@currencyID": "GBP", "#text": "3.67"}},
            }
        ]
    }


def test_ebay_orders_across_pages(connect: Any, live_shop: Any, sims: Any, shopify: Any) -> None:
    account = connect(live_shop, "ebay")
    tea = shopify.add_variant(live_shop.domain, "TEA-1")
    for n in range(105):  # GetOrders pages hold 100
        ebay_order(sims, f"12-{n:05d}", "TEA-1")

    tasks.import_account_orders(account.pk)

    created = created_orders(shopify, live_shop)
    assert len(created) == 105
    first = created[0]["input"]
    assert first["currency"] == "GBP"
    assert first["lineItems"][0] | {"priceSet": None, "taxLines": None} == {
        "variantId": tea.gid,
        "quantity": 2,
        "priceSet": None,
        "taxLines": None,
    }
    assert first["lineItems"][0]["priceSet"]["shopMoney"]["amount"] == "11.00"
    assert first["lineItems"][0]["taxLines"][0]["priceSet"]["shopMoney"]["amount"] == "3.67"
    assert first["shippingAddress"]["countryCode"] == "GB"
    assert first["shippingLines"][0]["title"] == "UK_RoyalMailFirstClass"
    assert Order.objects.filter(account=account, status=OrderStatus.IMPORTED).count() == 105


def test_etsy_receipts_across_pages(connect: Any, live_shop: Any, sims: Any, shopify: Any) -> None:
    account = connect(live_shop, "etsy")
    shopify.add_variant(live_shop.domain, "SKU-1")
    for n in range(1, 103):  # getShopReceipts pages hold 100
        sims.etsy.add_receipt(sims.etsy.default_user, 7000 + n)

    tasks.import_account_orders(account.pk)

    created = created_orders(shopify, live_shop)
    assert len(created) == 102
    sent = created[0]["input"]
    assert sent["lineItems"][0]["priceSet"]["shopMoney"]["amount"] == "19.99"
    assert sent["shippingAddress"]["zip"] == "10115"
    assert Decimal(sent["transactions"][0]["amountSet"]["shopMoney"]["amount"]) == Decimal("19.99")


def test_a_rerun_creates_nothing_twice(
    connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    account = connect(live_shop, "etsy")
    shopify.add_variant(live_shop.domain, "SKU-1")
    sims.etsy.add_receipt(sims.etsy.default_user, 8001)
    tasks.import_account_orders(account.pk)
    # Our record of the export is lost (as when a worker dies after Shopify's answer).
    Order.objects.filter(account=account).update(status=OrderStatus.PENDING, shopify_order_id="")

    tasks.import_account_orders(account.pk)

    assert len(created_orders(shopify, live_shop)) == 1
    order = Order.objects.get(account=account)
    assert order.status == OrderStatus.IMPORTED
    assert "not created again" in order.log_lines.last().message  # type: ignore[union-attr]


def test_missing_sku_fails_once_and_imports_after_mapping(
    connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    NotificationSettings.objects.update_or_create(
        shop=live_shop, defaults={"order_import_failed": True}
    )
    account = connect(live_shop, "etsy")
    shopify.add_variant(live_shop.domain, "STORE-MUG")
    sims.etsy.add_receipt(sims.etsy.default_user, 9001, sku="ETSY-MUG")

    tasks.import_account_orders(account.pk)
    tasks.import_account_orders(account.pk)  # a second run does not mail again

    order = Order.objects.get(account=account)
    assert order.status == OrderStatus.FAILED
    assert "ETSY-MUG" in order.error
    assert order.log_lines.filter(message__contains="ETSY-MUG").exists()
    emails = Email.objects.filter(shop=live_shop, category=Category.ORDER_IMPORT_FAILED)
    assert emails.count() == 1
    assert "9001" in emails.get().text and "ETSY-MUG" in emails.get().text
    assert created_orders(shopify, live_shop) == []

    _, waiting = services.save_sku_mapping(
        shop=live_shop, account=None, marketplace_sku="ETSY-MUG", store_sku="STORE-MUG"
    )
    tasks.export_orders(waiting)

    order.refresh_from_db()
    assert order.status == OrderStatus.IMPORTED
    assert len(created_orders(shopify, live_shop)) == 1


def test_throttled_shopify_is_waited_out(
    connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    account = connect(live_shop, "etsy")
    shopify.add_variant(live_shop.domain, "SKU-1")
    # Room for about two orders at once, refilled slowly: most calls meet THROTTLED first.
    shopify.set_rate_limit(live_shop.domain, maximum=25, restore_rate=50)
    for n in range(1, 9):
        sims.etsy.add_receipt(sims.etsy.default_user, 6000 + n)

    tasks.import_account_orders(account.pk)

    assert len(created_orders(shopify, live_shop)) == 8
    assert not Order.objects.exclude(status=OrderStatus.IMPORTED).exists()
