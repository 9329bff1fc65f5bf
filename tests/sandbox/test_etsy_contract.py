"""The Etsy simulator's Open API v3 answers hold to the published spec (specs/etsy)."""

from typing import Any

import pytest
import requests

from tests.accounts.specs import assert_matches_spec

USER = "50001"
SHOP = 500011
ME = "/v3/application/users/me"
RECEIPTS = "/v3/application/shops/{shop_id}/receipts"
TRACKING = "/v3/application/shops/{shop_id}/receipts/{receipt_id}/tracking"
INVENTORY = "/v3/application/listings/{listing_id}/inventory"


@pytest.fixture
def etsy(sandbox: Any) -> Any:
    sim = sandbox.sandbox["/etsy"]
    sim.add_receipt(USER, 3001)
    sim.add_listing(9001, sku="SKU-1", quantity=3)
    return sim


def call(sandbox: Any, etsy: Any, method: str, path: str, *, token: str = "", **kwargs: Any) -> Any:
    from sandbox.etsy import KEYSTRING, SHARED_SECRET

    token = token or etsy.book.issue(USER, prefix="{user}.")["access_token"]
    headers = {"x-api-key": f"{KEYSTRING}:{SHARED_SECRET}", "Authorization": f"Bearer {token}"}
    return requests.request(
        method, f"{sandbox.url}/etsy{path}", headers=headers, timeout=5, **kwargs
    )


def check(specs_dir: Any, path: str, method: str, response: Any) -> None:
    assert_matches_spec(
        specs_dir / "etsy" / "etsy_openapi_v3.json",
        path,
        method,
        response.status_code,
        response.json(),
    )


@pytest.mark.parametrize(("token", "status"), [("", 200), ("50001.revoked", 401)])
def test_get_me(sandbox: Any, etsy: Any, specs_dir: Any, token: str, status: int) -> None:
    response = call(sandbox, etsy, "GET", "/v3/application/users/me", token=token)
    assert response.status_code == status
    check(specs_dir, ME, "get", response)


@pytest.mark.parametrize(("shop_id", "status"), [(SHOP, 200), (999, 403)])
def test_get_shop_receipts(
    sandbox: Any, etsy: Any, specs_dir: Any, shop_id: int, status: int
) -> None:
    response = call(
        sandbox,
        etsy,
        "GET",
        f"/v3/application/shops/{shop_id}/receipts",
        params={"min_last_modified": 946684800, "limit": 100},
    )
    assert response.status_code == status
    check(specs_dir, RECEIPTS, "get", response)


@pytest.mark.parametrize(("receipt_id", "status"), [(3001, 200), (4040, 404)])
def test_create_receipt_shipment(
    sandbox: Any, etsy: Any, specs_dir: Any, receipt_id: int, status: int
) -> None:
    response = call(
        sandbox,
        etsy,
        "POST",
        f"/v3/application/shops/{SHOP}/receipts/{receipt_id}/tracking",
        json={"tracking_code": "00340434", "carrier_name": "dhl"},
    )
    assert response.status_code == status
    check(specs_dir, TRACKING, "post", response)


@pytest.mark.parametrize("method", ["get", "put"])
def test_listing_inventory(sandbox: Any, etsy: Any, specs_dir: Any, method: str) -> None:
    body = {
        "products": [
            {
                "sku": "SKU-1",
                "property_values": [],
                "offerings": [
                    {"price": 21.5, "quantity": 7, "is_enabled": True, "readiness_state_id": 1}
                ],
            }
        ]
    }
    response = call(
        sandbox,
        etsy,
        method.upper(),
        "/v3/application/listings/9001/inventory",
        json=body if method == "put" else None,
    )
    assert response.status_code == 200
    check(specs_dir, INVENTORY, method, response)


def test_a_put_without_readiness_state_id_is_refused_with_the_validators_message(
    sandbox: Any, etsy: Any, specs_dir: Any
) -> None:
    offering = {"price": 21.5, "quantity": 7, "is_enabled": True}
    body = {"products": [{"sku": "SKU-1", "property_values": [], "offerings": [offering]}]}
    response = call(sandbox, etsy, "PUT", "/v3/application/listings/9001/inventory", json=body)
    assert response.status_code == 400
    assert "'readiness_state_id' is a required property" in response.json()["error"]
    check(specs_dir, INVENTORY, "put", response)
    assert etsy.inventories[9001]["products"][0]["offerings"][0]["quantity"] == 3


@pytest.mark.parametrize("since", [0, 946684799])
def test_receipts_before_the_specs_minimum_timestamp_are_refused(
    sandbox: Any, etsy: Any, specs_dir: Any, since: int
) -> None:
    response = call(
        sandbox,
        etsy,
        "GET",
        f"/v3/application/shops/{SHOP}/receipts",
        params={"min_last_modified": since},
    )
    assert response.status_code == 400 and "946684800" in response.json()["error"]
    check(specs_dir, RECEIPTS, "get", response)
