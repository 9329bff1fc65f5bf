"""The adapters' sync operations over real HTTP, through each vendor's client library."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from accounts.marketplaces import (
    ADAPTERS,
    ListingUpdate,
    PermanentError,
    Shipment,
    ShipmentLine,
    adapter_for,
)
from salestio.models import Shop

pytestmark = pytest.mark.django_db
SINCE = datetime.now(tz=UTC) - timedelta(days=1)


def test_every_marketplace_has_one_adapter_with_the_same_interface() -> None:
    methods = {
        "fetch_orders",
        "push_fulfillment",
        "update_listing",
        "check_connection",
        "refresh_credentials",
        "consent_url",
        "exchange_code",
    }
    assert set(ADAPTERS) == {"amazon", "ebay", "etsy"}
    for adapter in ADAPTERS.values():
        assert methods <= set(dir(adapter)) and not adapter.__abstractmethods__


def test_amazon_orders_fulfillment_and_listing(connect: Any, shop: Shop, sims: Any) -> None:
    account = connect(shop, "amazon")
    sims.amazon.add_order(account.external_id, "028-0000001-0000001")
    adapter = adapter_for(account)
    assert [o.order_id for o in adapter.fetch_orders(SINCE)] == ["028-0000001-0000001"]
    adapter.push_fulfillment(
        Shipment(
            "028-0000001-0000001", "DHL", "00340434", datetime.now(tz=UTC), (ShipmentLine("1", 1),)
        )
    )
    adapter.update_listing(ListingUpdate(sku="SKU-1", quantity=5))
    assert sims.amazon.shipments[0]["packageDetail"]["trackingNumber"] == "00340434"
    assert sims.amazon.listing_patches[0]["patches"][0]["value"][0]["quantity"] == 5


def test_ebay_orders_fulfillment_and_listing(connect: Any, shop: Shop, sims: Any) -> None:
    account = connect(shop, "ebay")
    sims.ebay.add_order(account.external_id, "11-1111")
    adapter = adapter_for(account)
    assert [o.order_id for o in adapter.fetch_orders(SINCE)] == ["11-1111"]
    adapter.push_fulfillment(Shipment("11-1111", "DHL", "00340434", datetime.now(tz=UTC)))
    adapter.update_listing(ListingUpdate(sku="SKU-1", quantity=2, price=Decimal("9.50")))
    assert sims.ebay.completed_sales[0]["tracking"] == "00340434"
    assert sims.ebay.inventory_updates[0] == {
        "user": account.external_id,
        "Quantity": "2",
        "SKU": "SKU-1",
        "StartPrice": "9.50",
    }
    with pytest.raises(PermanentError):
        adapter.push_fulfillment(Shipment("99-unknown", "DHL", "1", datetime.now(tz=UTC)))


def test_etsy_orders_fulfillment_and_listing(connect: Any, shop: Shop, sims: Any) -> None:
    account = connect(shop, "etsy")
    sims.etsy.add_receipt(sims.etsy.default_user, 3001)
    sims.etsy.add_listing(9001, sku="SKU-1", quantity=3)
    adapter = adapter_for(account)
    assert [o.order_id for o in adapter.fetch_orders(SINCE)] == ["3001"]
    adapter.push_fulfillment(Shipment("3001", "dhl", "00340434", datetime.now(tz=UTC)))
    adapter.update_listing(ListingUpdate(sku="SKU-1", listing_id="9001", quantity=8))
    offering = sims.etsy.inventories[9001]["products"][0]["offerings"][0]
    assert offering["quantity"] == 8 and offering["price"]["amount"] == 1999
