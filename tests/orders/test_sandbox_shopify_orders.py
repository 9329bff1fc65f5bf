"""The sandbox Shopify's order side over HTTP: orderCreate's userErrors, variant and order
search, inventory, and the development store's 5 orders a minute."""

from typing import Any

import pytest
import requests

from orders import shopify as shopify_documents
from salestio.shopify_api import AdminGraphQL, ShopifyUserErrors

pytestmark = [pytest.mark.django_db]


def order_input(variant: str, source: str) -> dict[str, Any]:
    return {
        "currency": "EUR",
        "sourceIdentifier": source,
        "lineItems": [{"variantId": variant, "quantity": 2}],
    }


def client_for(live_shop: Any) -> AdminGraphQL:
    return AdminGraphQL(live_shop.domain, live_shop.access_token, max_attempts=1)


def test_order_create_search_and_inventory(live_shop: Any, shopify: Any) -> None:
    variant = shopify.add_variant(live_shop.domain, "MUG-1", quantity=5).gid
    client = client_for(live_shop)

    assert shopify_documents.find_variant(client, "MUG-1") == variant
    assert shopify_documents.find_variant(client, "NOPE") is None
    created = shopify_documents.create_order(client, order_input(variant, "etsy:1:42"))

    assert shopify_documents.find_order(client, "etsy:1:42") == created
    assert shopify_documents.find_order(client, "etsy:1:43") is None
    assert shopify.catalog.by_sku(live_shop.domain, "MUG-1").available == 3


def test_an_unknown_variant_is_a_user_error(live_shop: Any, shopify: Any) -> None:
    with pytest.raises(ShopifyUserErrors, match="Variant does not exist"):
        shopify_documents.create_order(
            client_for(live_shop), order_input("gid://shopify/ProductVariant/999", "x")
        )


def test_a_development_store_takes_five_orders_a_minute(
    live_shop: Any, shopify: Any, settings: Any
) -> None:
    variant = shopify.add_variant(live_shop.domain, "MUG-1", quantity=50).gid
    shopify.make_development_store(live_shop.domain)
    client = client_for(live_shop)
    for n in range(5):
        shopify_documents.create_order(client, order_input(variant, f"s:{n}"))

    url = f"{settings.SHOPIFY_SHOP_ORIGIN.format(shop=live_shop.domain)}/admin/api/x/graphql.json"
    sixth = requests.post(
        url,
        json={
            "query": shopify_documents.ORDER_CREATE_MUTATION,
            "variables": {"order": order_input(variant, "s:6"), "options": {}},
        },
        headers={"X-Shopify-Access-Token": live_shop.access_token},
        timeout=10,
    )
    assert sixth.status_code == 429
    assert 1 <= int(sixth.headers["Retry-After"]) <= 60
    assert len(shopify.shop(live_shop.domain).orders) == 5
