"""Regressions for the adapter defects found by driving the adapters against mocks generated
from the vendors' OpenAPI files (issue 14), each through HTTP to the sandbox."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from accounts.marketplaces import (
    ListingUpdate,
    MarketplaceError,
    PermanentError,
    Shipment,
    ShipmentLine,
    TransientError,
    UnreadableResponse,
    adapter_for,
)
from accounts.marketplaces.amazon import MAX_ORDER_PAGES
from salestio.models import Shop
from tests.accounts.specs import assert_request_matches_spec, sandbox_example

pytestmark = pytest.mark.django_db
SINCE = datetime.now(tz=UTC) - timedelta(days=1)
ORDERS = "/orders/v0/orders"
LISTING = "/listings/2021-08-01/items/{sellerId}/{sku}"
INVENTORY = "/v3/application/listings/{listing_id}/inventory"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def etsy_spec(specs_dir: Path) -> Path:
    return specs_dir / "etsy" / "etsy_openapi_v3.json"


def listings_spec(specs_dir: Path) -> Path:
    return specs_dir / "amazon" / "listingsItems_2021-08-01.json"


# --- Etsy updateListingInventory --------------------------------------------------------------


def test_etsy_put_carries_what_the_get_gave_and_matches_the_request_schema(
    connect: Any, shop: Shop, sims: Any, specs_dir: Path
) -> None:
    account = connect(shop, "etsy")
    color = {
        "property_id": 200,
        "property_name": None,
        "scale_id": None,
        "scale_name": None,
        "value_ids": [1213],
        "values": ["Beige"],
    }
    inventory = sims.etsy.add_listing(
        9001, sku="SKU-1", quantity=3, readiness_state_id=77, property_values=[color]
    )
    inventory["quantity_on_property"] = [200]

    adapter_for(account).update_listing(ListingUpdate(sku="SKU-1", listing_id="9001", quantity=8))

    (put,) = sims.etsy.received_at("/v3/application/listings/9001/inventory", "PUT")
    assert_request_matches_spec(etsy_spec(specs_dir), INVENTORY, "put", put.json)
    offering = put.json["products"][0]["offerings"][0]
    assert offering["readiness_state_id"] == 77 and offering["quantity"] == 8
    assert put.json["products"][0]["property_values"] == [
        {"property_id": 200, "value_ids": [1213], "values": ["Beige"]}
    ]
    assert put.json["quantity_on_property"] == [200]
    assert sims.etsy.inventories[9001]["products"][0]["offerings"][0]["readiness_state_id"] == 77


def test_etsy_refuses_a_put_off_its_spec_and_the_adapter_raises(
    connect: Any, shop: Any, sims: Any
) -> None:
    """getListingInventory requires nothing in a property value, the PUT requires property_id:
    a GET without it makes the adapter send a PUT the sandbox's spec validation refuses."""
    account = connect(shop, "etsy")
    inventory = sims.etsy.add_listing(9001, sku="SKU-1", quantity=3)
    inventory["products"][0]["property_values"] = [{"value_ids": [1], "values": ["Red"]}]

    with pytest.raises(PermanentError, match="'property_id' is a required property"):
        adapter_for(account).update_listing(ListingUpdate("SKU-1", 8, listing_id="9001"))
    assert inventory["products"][0]["offerings"][0]["quantity"] == 3


def listing_priced_with_divisor_zero(sims: Any, sku: str) -> None:
    """Money.divisor has `minimum: 0` in Etsy's spec, so a GET may carry 0."""
    inventory = sims.etsy.add_listing(9001, sku=sku, quantity=3)
    inventory["products"][0]["offerings"][0]["price"]["divisor"] = 0


def test_etsy_price_with_divisor_zero_is_an_adapter_error_and_nothing_is_written(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "etsy")
    listing_priced_with_divisor_zero(sims, "OTHER")

    with pytest.raises(UnreadableResponse):
        adapter_for(account).update_listing(ListingUpdate("SKU-1", 8, listing_id="9001"))
    assert not sims.etsy.received_at("/v3/application/listings", "PUT")


def test_etsy_divisor_zero_does_not_matter_when_we_set_the_price(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "etsy")
    listing_priced_with_divisor_zero(sims, "SKU-1")

    update = ListingUpdate("SKU-1", 8, listing_id="9001", price=Decimal("12.50"))
    adapter_for(account).update_listing(update)

    (put,) = sims.etsy.received_at("/v3/application/listings/9001/inventory", "PUT")
    assert put.json["products"][0]["offerings"][0]["price"] == 12.5


@pytest.mark.parametrize("listing_id", ["", "0", "abc", "12/../7"])
def test_etsy_refuses_a_listing_id_that_is_no_listing_id_before_any_call(
    connect: Any, shop: Shop, sims: Any, listing_id: str
) -> None:
    account = connect(shop, "etsy")
    with pytest.raises(PermanentError):
        adapter_for(account).update_listing(ListingUpdate("SKU-1", 8, listing_id=listing_id))
    assert not sims.etsy.received_at("/v3/application/listings")


# --- Etsy getShopReceipts ---------------------------------------------------------------------


def test_etsy_min_last_modified_stays_at_or_above_the_spec_minimum(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "etsy")
    sims.etsy.add_receipt(sims.etsy.default_user, 3001)

    orders = adapter_for(account).fetch_orders(datetime(1990, 1, 1, tzinfo=UTC))

    assert [o.order_id for o in orders] == ["3001"]
    (query,) = [r.query for r in sims.etsy.received_at("/v3/application/shops")]
    assert query["min_last_modified"] == ["946684800"]


def test_etsy_receipt_with_a_timestamp_beyond_datetime_is_an_adapter_error(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "etsy")
    receipt = sims.etsy.add_receipt(sims.etsy.default_user, 3001)
    receipt["updated_timestamp"] = 2**62  # allowed: int64 >= 946684800

    with pytest.raises(UnreadableResponse):
        adapter_for(account).fetch_orders(SINCE)


# --- Amazon patchListingsItem -----------------------------------------------------------------


def test_amazon_update_listing_raises_when_amazon_answers_invalid(
    connect: Any, shop: Shop, sims: Any, specs_dir: Path
) -> None:
    account = connect(shop, "amazon")
    invalid = sandbox_example(listings_spec(specs_dir), LISTING, "patch", 200, 2)
    assert invalid["status"] == "INVALID"
    sims.amazon.answer_next(invalid, path="/listings")

    with pytest.raises(PermanentError, match="90000900: The attributes are invalid"):
        adapter_for(account).update_listing(ListingUpdate(sku="SKU-1", quantity=5))


def test_amazon_update_listing_accepts_an_accepted_submission_with_a_warning(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "amazon")
    accepted = {
        "sku": "SKU-1",
        "status": "ACCEPTED",
        "submissionId": "f1dc2914",
        "issues": [{"code": "18", "message": "Image is small.", "severity": "WARNING"}],
    }
    sims.amazon.answer_next(accepted, path="/listings")

    adapter_for(account).update_listing(ListingUpdate(sku="SKU-1", quantity=5))


# --- Amazon getOrders -------------------------------------------------------------------------


def test_amazon_fetch_orders_follows_every_page(connect: Any, shop: Shop, sims: Any) -> None:
    account = connect(shop, "amazon")
    for n in range(205):
        sims.amazon.add_order(account.external_id, f"028-0000000-{n:07d}")

    orders = adapter_for(account).fetch_orders(SINCE)

    assert len({o.order_id for o in orders}) == 205
    assert len(sims.amazon.received_at(ORDERS, "GET")) == 3


def test_amazon_fetch_orders_ends_on_the_specs_own_next_token_example(
    connect: Any, shop: Shop, sims: Any, specs_dir: Path
) -> None:
    """A mock answering the spec's example gives the same NextToken for ever."""
    account = connect(shop, "amazon")
    example = sandbox_example(specs_dir / "amazon" / "ordersV0.json", ORDERS, "get", 200, 1)
    assert example["payload"]["NextToken"]
    sims.amazon.answer_next(example, path=ORDERS, times=MAX_ORDER_PAGES + 5)

    with pytest.raises(TransientError, match="repeated a NextToken"):
        adapter_for(account).fetch_orders(SINCE)
    assert len(sims.amazon.received_at(ORDERS, "GET")) == 2


def test_amazon_fetch_orders_is_bounded_even_with_fresh_tokens(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "amazon")
    for page in range(MAX_ORDER_PAGES + 1):
        body = {"payload": {"Orders": [], "NextToken": f"token-{page}"}}
        sims.amazon.answer_next(body, path=ORDERS)

    with pytest.raises(MarketplaceError):
        adapter_for(account).fetch_orders(SINCE)
    assert len(sims.amazon.received_at(ORDERS, "GET")) == MAX_ORDER_PAGES


def test_amazon_order_with_an_unreadable_date_is_an_adapter_error(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "amazon")
    order = sims.amazon.add_order(account.external_id, "028-0000001-0000001")
    order["LastUpdateDate"] = "1.569521782042E9"  # the shape of the spec's CreatedBefore example

    with pytest.raises(UnreadableResponse):
        adapter_for(account).fetch_orders(SINCE)


@pytest.mark.parametrize(
    "body",
    [
        {"payload": {"Orders": []}, "headers": {}},  # additionalProperties are allowed
        "not an object",
        [1],  # sp_api unwraps a list to its first element
    ],
)
def test_amazon_answers_the_client_library_cannot_wrap_are_adapter_errors(
    connect: Any, shop: Any, sims: Any, body: Any
) -> None:
    account = connect(shop, "amazon")
    sims.amazon.answer_next(body, path=ORDERS)

    with pytest.raises(UnreadableResponse):
        adapter_for(account).fetch_orders(SINCE)


# --- Amazon confirmShipment -------------------------------------------------------------------


def test_amazon_ship_date_without_a_time_zone_is_sent_as_a_date_time(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "amazon")
    naive = datetime(2026, 3, 1, 14, 30)
    adapter_for(account).push_fulfillment(
        Shipment("028-0000001-0000001", "DHL", "00340434", naive, (ShipmentLine("1", 1),))
    )

    ship_date = sims.amazon.shipments[0]["packageDetail"]["shipDate"]
    assert RFC3339.match(ship_date), ship_date
    assert datetime.fromisoformat(ship_date) == naive.replace(tzinfo=UTC)  # TIME_ZONE is UTC


def test_amazon_package_reference_is_unique_per_package_of_an_order(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "amazon")
    adapter = adapter_for(account)
    lines = (ShipmentLine("1", 1),)
    now = datetime.now(tz=UTC)
    for tracking in ("00340434", "00340435", "00340434"):  # the last one is a retry
        adapter.push_fulfillment(Shipment("028-0000001-0000001", "DHL", tracking, now, lines))

    first, second, retry = (s["packageDetail"]["packageReferenceId"] for s in sims.amazon.shipments)
    assert first != second and retry == first
    assert all(ref.isdigit() and int(ref) > 0 for ref in (first, second))
    adapter.push_fulfillment(
        Shipment("028-0000001-0000001", "DHL", "1", now, lines, package_id="42")
    )
    assert sims.amazon.shipments[-1]["packageDetail"]["packageReferenceId"] == "42"
