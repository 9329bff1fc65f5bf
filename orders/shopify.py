"""An order into Shopify: find it by source identifier, find variants by SKU, orderCreate.

https://shopify.dev/docs/api/admin-graphql/2025-01/mutations/orderCreate
"""

from decimal import Decimal
from typing import Any

from salestio.graphql_documents import gql
from salestio.shopify_api import AdminGraphQL

ORDER_BY_SOURCE_QUERY = gql(
    """
    query OrderBySource($query: String!) {
      orders(first: 1, query: $query) { nodes { id name } }
    }
    """
)

VARIANT_BY_SKU_QUERY = gql(
    """
    query VariantBySku($query: String!) {
      productVariants(first: 1, query: $query) { nodes { id sku } }
    }
    """
)

ORDER_CREATE_MUTATION = gql(
    """
    mutation OrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
      orderCreate(order: $order, options: $options) {
        order { id name }
        userErrors { field message code }
      }
    }
    """
)

# No receipts to the buyer (the marketplace already sent them); stock is taken from Shopify
# as a sale there would, even past zero, since the marketplace has already sold it.
CREATE_OPTIONS = {
    "sendReceipt": False,
    "sendFulfillmentReceipt": False,
    "inventoryBehaviour": "DECREMENT_IGNORING_POLICY",
}


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def find_order(client: AdminGraphQL, source_identifier: str) -> dict[str, str] | None:
    """The Shopify order created earlier for this source identifier, if any."""
    data = client.execute(
        ORDER_BY_SOURCE_QUERY, {"query": f"source_identifier:{_quoted(source_identifier)}"}
    )
    nodes = data["orders"]["nodes"]
    return dict(nodes[0]) if nodes else None


def find_variant(client: AdminGraphQL, sku: str) -> str | None:
    data = client.execute(VARIANT_BY_SKU_QUERY, {"query": f"sku:{_quoted(sku)}"})
    nodes = [n for n in data["productVariants"]["nodes"] if n.get("sku") == sku]
    return str(nodes[0]["id"]) if nodes else None


def create_order(client: AdminGraphQL, order_input: dict[str, Any]) -> dict[str, str]:
    """orderCreate; userErrors raise ShopifyUserErrors."""
    payload = client.mutate(
        ORDER_CREATE_MUTATION, {"order": order_input, "options": CREATE_OPTIONS}, "orderCreate"
    )
    return dict(payload["order"])


def money_bag(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": str(amount), "currencyCode": currency}}


def tax_lines(tax: Decimal, base: Decimal, currency: str) -> list[dict[str, Any]]:
    """One tax line carrying the marketplace's tax amount and the rate it implies."""
    if not tax:
        return []
    rate = (tax / base).quantize(Decimal("0.0001")) if base else Decimal("0")
    return [{"title": "Tax", "rate": str(rate), "priceSet": money_bag(tax, currency)}]
