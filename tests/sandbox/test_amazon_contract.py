"""The Amazon simulator's SP-API answers hold to the published models (specs/amazon)."""

from typing import Any

import pytest
import requests

from tests.accounts.specs import assert_matches_spec

ORDERS = "/orders/v0/orders"
ITEMS = "/orders/v0/orders/{orderId}/orderItems"
CONFIRM = "/orders/v0/orders/{orderId}/shipmentConfirmation"
LISTING = "/listings/2021-08-01/items/{sellerId}/{sku}"
SELLER = "A2SANDBOXSELLER"


@pytest.fixture
def amazon(sandbox: Any) -> Any:
    sim = sandbox.sandbox["/amazon"]
    sim.add_order(SELLER, "028-1234567-1234567")
    return sim


def call(sandbox: Any, amazon: Any, method: str, path: str, token: str = "", **kwargs: Any) -> Any:
    token = token or amazon.book.issue(SELLER)["access_token"]
    return requests.request(
        method,
        f"{sandbox.url}/amazon{path}",
        timeout=5,
        headers={"x-amz-access-token": token},
        **kwargs,
    )


def check(specs_dir: Any, model: str, path: str, method: str, response: Any) -> None:
    body = response.json() if response.content else None
    assert_matches_spec(specs_dir / "amazon" / model, path, method, response.status_code, body)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"CreatedAfter": "2020-01-01T00:00:00Z", "MarketplaceIds": "A1PA6795UKMFR9"}, 200),
        ({"MarketplaceIds": "A1PA6795UKMFR9"}, 400),
    ],
)
def test_get_orders(
    sandbox: Any, amazon: Any, specs_dir: Any, params: dict[str, str], status: int
) -> None:
    response = call(sandbox, amazon, "GET", ORDERS, params=params)
    assert response.status_code == status
    check(specs_dir, "ordersV0.json", ORDERS, "get", response)


def test_get_orders_with_a_revoked_token_is_403_unauthorized(
    sandbox: Any, amazon: Any, specs_dir: Any
) -> None:
    token = amazon.book.issue(SELLER)["access_token"]
    amazon.book.revoke(SELLER)
    response = call(sandbox, amazon, "GET", ORDERS, token, params={"CreatedAfter": "2020-01-01"})
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "Unauthorized"
    check(specs_dir, "ordersV0.json", ORDERS, "get", response)


def test_the_access_token_of_a_code_exchange_is_accepted(sandbox: Any, amazon: Any) -> None:
    code = amazon.book.issue_code(SELLER, redirect_uri="")
    form = {"grant_type": "authorization_code", "code": code}
    form |= {"client_id": amazon.client_id, "client_secret": amazon.client_secret}
    tokens = requests.post(f"{sandbox.url}/amazon/auth/o2/token", data=form, timeout=5).json()
    params = {"CreatedAfter": "2020-01-01T00:00:00Z", "MarketplaceIds": "A1PA6795UKMFR9"}
    response = call(sandbox, amazon, "GET", ORDERS, tokens["access_token"], params=params)
    assert response.status_code == 200
    assert tokens["access_token"].startswith("Atza|")
    assert tokens["refresh_token"].startswith("Atzr|")


def test_get_order_items(sandbox: Any, amazon: Any, specs_dir: Any) -> None:
    response = call(sandbox, amazon, "GET", "/orders/v0/orders/028-1234567-1234567/orderItems")
    assert response.status_code == 200
    check(specs_dir, "ordersV0.json", ITEMS, "get", response)


PACKAGE = {
    "packageReferenceId": "1",
    "carrierCode": "DHL",
    "trackingNumber": "00340434",
    "shipDate": "2026-01-01T00:00:00Z",
    "orderItems": [{"orderItemId": "1", "quantity": 1}],
}


def confirm(sandbox: Any, amazon: Any, body: dict[str, Any]) -> Any:
    path = "/orders/v0/orders/028-1234567-1234567/shipmentConfirmation"
    return call(sandbox, amazon, "POST", path, json=body)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"marketplaceId": "A1PA6795UKMFR9", "packageDetail": PACKAGE}, 204),
        ({"packageDetail": {}}, 400),
    ],
)
def test_confirm_shipment(
    sandbox: Any, amazon: Any, specs_dir: Any, body: dict[str, Any], status: int
) -> None:
    response = confirm(sandbox, amazon, body)
    assert response.status_code == status
    check(specs_dir, "ordersV0.json", CONFIRM, "post", response)


@pytest.mark.parametrize(("seller", "status"), [(SELLER, 200), ("A9OTHERSELLER", 403)])
def test_patch_listings_item(
    sandbox: Any, amazon: Any, specs_dir: Any, seller: str, status: int
) -> None:
    body = {
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 5}],
            }
        ],
    }
    response = call(
        sandbox,
        amazon,
        "PATCH",
        f"/listings/2021-08-01/items/{seller}/SKU-1",
        params={"marketplaceIds": "A1PA6795UKMFR9"},
        json=body,
    )
    assert response.status_code == status
    check(specs_dir, "listingsItems_2021-08-01.json", LISTING, "patch", response)


def test_the_checker_rejects_a_body_off_the_spec(specs_dir: Any) -> None:
    with pytest.raises(AssertionError):
        assert_matches_spec(
            specs_dir / "amazon" / "ordersV0.json",
            ORDERS,
            "get",
            200,
            {"payload": {"Orders": "not a list"}},
        )


def test_a_ship_date_off_the_spec_is_refused_with_the_validators_message(
    sandbox: Any, amazon: Any, specs_dir: Any
) -> None:
    naive = {**PACKAGE, "shipDate": "2026-01-01T00:00:00"}  # no time zone: not RFC 3339
    response = confirm(sandbox, amazon, {"marketplaceId": "A1PA6795UKMFR9", "packageDetail": naive})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "InvalidInput" and "is not a 'date-time'" in error["message"]
    check(specs_dir, "ordersV0.json", CONFIRM, "post", response)
    assert not amazon.shipments


def test_a_listing_patch_without_marketplace_ids_is_refused(sandbox: Any, amazon: Any) -> None:
    body = {"productType": "PRODUCT", "patches": [{"op": "delete", "path": "/attributes/x"}]}
    response = call(
        sandbox, amazon, "PATCH", f"/listings/2021-08-01/items/{SELLER}/SKU-1", json=body
    )
    assert (
        response.status_code == 400 and "marketplaceIds" in response.json()["errors"][0]["message"]
    )
    assert not amazon.listing_patches


TOKENS = "/tokens/2021-03-01/restrictedDataToken"
ORDERS_PII = {"method": "GET", "path": ORDERS, "dataElements": ["buyerInfo", "shippingAddress"]}
SINCE = {"CreatedAfter": "2020-01-01T00:00:00Z", "MarketplaceIds": "A1PA6795UKMFR9"}


def restricted_data_token(sandbox: Any, amazon: Any, specs_dir: Any, *resources: Any) -> str:
    response = call(sandbox, amazon, "POST", TOKENS, json={"restrictedResources": list(resources)})
    assert response.status_code == 200
    check(specs_dir, "tokens_2021-03-01.json", TOKENS, "post", response)
    token = response.json()["restrictedDataToken"]
    assert token.startswith("Atz.sprdt|")
    return str(token)


def test_get_orders_withholds_buyer_and_address_without_a_restricted_data_token(
    sandbox: Any, amazon: Any, specs_dir: Any
) -> None:
    response = call(sandbox, amazon, "GET", ORDERS, params=SINCE)
    [order] = response.json()["payload"]["Orders"]
    assert "BuyerInfo" not in order
    assert order["ShippingAddress"] == {
        "City": "Berlin",
        "PostalCode": "10115",
        "CountryCode": "DE",
    }
    check(specs_dir, "ordersV0.json", ORDERS, "get", response)


def test_get_orders_with_a_restricted_data_token_shows_buyer_and_address(
    sandbox: Any, amazon: Any, specs_dir: Any
) -> None:
    token = restricted_data_token(sandbox, amazon, specs_dir, ORDERS_PII)
    response = call(sandbox, amazon, "GET", ORDERS, token, params=SINCE)
    assert response.status_code == 200
    [order] = response.json()["payload"]["Orders"]
    assert order["BuyerInfo"]["BuyerEmail"] == "028-1234567-1234567@marketplace.amazon.de"
    assert order["ShippingAddress"]["Name"] == "Erika Mustermann"
    assert order["ShippingAddress"]["AddressLine1"] == "Hauptstr. 1"
    check(specs_dir, "ordersV0.json", ORDERS, "get", response)


def test_a_restricted_data_token_grants_only_the_data_elements_it_names(
    sandbox: Any, amazon: Any, specs_dir: Any
) -> None:
    token = restricted_data_token(
        sandbox, amazon, specs_dir, {**ORDERS_PII, "dataElements": ["shippingAddress"]}
    )
    [order] = call(sandbox, amazon, "GET", ORDERS, token, params=SINCE).json()["payload"]["Orders"]
    assert "BuyerInfo" not in order and order["ShippingAddress"]["Name"] == "Erika Mustermann"


def test_a_restricted_data_token_is_refused_at_other_operations(
    sandbox: Any, amazon: Any, specs_dir: Any
) -> None:
    token = restricted_data_token(sandbox, amazon, specs_dir, ORDERS_PII)
    path = "/orders/v0/orders/028-1234567-1234567/orderItems"
    assert call(sandbox, amazon, "GET", path, token).status_code == 403
    assert (
        call(
            sandbox, amazon, "POST", TOKENS, token, json={"restrictedResources": [ORDERS_PII]}
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    "body",
    [
        {},  # restrictedResources is required (tokens_2021-03-01.json)
        {"restrictedResources": [{"method": "FETCH", "path": ORDERS}]},
        {"restrictedResources": [{**ORDERS_PII, "path": "/listings/2021-08-01/items"}]},
        {"restrictedResources": [{**ORDERS_PII, "dataElements": ["buyerTaxInformation"]}]},
        {"restrictedResources": []},
    ],
)
def test_create_restricted_data_token_refuses_bad_requests(
    sandbox: Any, amazon: Any, specs_dir: Any, body: dict[str, Any]
) -> None:
    response = call(sandbox, amazon, "POST", TOKENS, json=body)
    assert response.status_code == 400
    check(specs_dir, "tokens_2021-03-01.json", TOKENS, "post", response)


def test_create_restricted_data_token_with_a_revoked_token_is_403(
    sandbox: Any, amazon: Any, specs_dir: Any
) -> None:
    token = amazon.book.issue(SELLER)["access_token"]
    amazon.book.revoke(SELLER)
    response = call(
        sandbox, amazon, "POST", TOKENS, token, json={"restrictedResources": [ORDERS_PII]}
    )
    assert response.status_code == 403
    check(specs_dir, "tokens_2021-03-01.json", TOKENS, "post", response)
