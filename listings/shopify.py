"""Changes in from Shopify: the inventory and product webhooks, and the periodic
reconciliation that reads every variant's inventory through the Admin GraphQL API.

Both only record Shopify's state (variants, inventory levels); the desired state of the
listings follows from it in listings.services and listings.linking.
"""

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from listings import linking, services
from salestio.graphql_documents import gql
from salestio.models import Shop
from salestio.services import admin_client

# Shopify refuses a query whose requested cost exceeds 1000 points; a page costs about
# 2 + variants × (4 + 2 × levels), so 25 variants with up to 10 locations each ≈ 630
# (https://shopify.dev/docs/api/usage/limits#cost-calculation).
VARIANTS_PER_PAGE = 25
LEVELS_PER_VARIANT = 10

# Paginated by cursor; AdminGraphQL waits out THROTTLED from the cost in `extensions`.
# https://shopify.dev/docs/api/admin-graphql/2025-01/queries/productVariants
VARIANT_INVENTORY_QUERY = gql(
    """
    query VariantInventory($first: Int!, $after: String, $levels: Int!) {
      productVariants(first: $first, after: $after) {
        nodes {
          id
          sku
          price
          displayName
          inventoryItem {
            id
            inventoryLevels(first: $levels) {
              nodes {
                location { id }
                quantities(names: ["available"]) { name quantity }
              }
            }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
    """
)


def numeric_id(gid_or_id: Any) -> int:
    """Shopify's numeric id from a GID ("gid://shopify/InventoryItem/42") or a number."""
    return int(str(gid_or_id).rsplit("/", 1)[-1])


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def on_inventory_level_update(shop: Shop, payload: dict[str, Any]) -> None:
    """inventory_levels/update: one item's available quantity at one location.
    https://shopify.dev/docs/api/webhooks?reference=toml#list-of-topics-inventory_levels/update
    """
    if payload.get("available") is None:
        return  # an untracked item: nothing to count
    services.record_inventory_levels(
        shop=shop,
        levels=[
            (
                numeric_id(payload["inventory_item_id"]),
                numeric_id(payload["location_id"]),
                int(payload["available"]),
            )
        ],
    )


def on_product_update(shop: Shop, payload: dict[str, Any]) -> None:
    """products/update (REST product shape): the variants' SKUs, prices and inventory items."""
    title = str(payload.get("title") or "")
    linking.record_variants(
        shop=shop,
        variants=[
            (
                numeric_id(variant["id"]),
                numeric_id(variant["inventory_item_id"])
                if variant.get("inventory_item_id")
                else None,
                str(variant.get("sku") or ""),
                f"{title} - {variant.get('title')}" if variant.get("title") else title,
                _decimal(variant.get("price")),
            )
            for variant in payload.get("variants") or []
        ],
    )


def reconcile(*, shop: Shop, attempts: int | None = None) -> int:
    """Read every variant with its inventory levels and record them; returns the count.
    `attempts` caps the client's retries per page (None: its default)."""
    count = 0
    for page in _variant_pages(shop, attempts):
        linking.record_variants(shop=shop, variants=[_variant_row(node) for node in page])
        services.record_inventory_levels(
            shop=shop, levels=[level for node in page for level in _levels(node)]
        )
        count += len(page)
    return count


def _variant_pages(shop: Shop, attempts: int | None) -> Iterator[list[dict[str, Any]]]:
    client = admin_client(shop)
    client.max_attempts = attempts or client.max_attempts
    after: str | None = None
    while True:
        data = client.execute(
            VARIANT_INVENTORY_QUERY,
            {"first": VARIANTS_PER_PAGE, "after": after, "levels": LEVELS_PER_VARIANT},
        )["productVariants"]
        yield data["nodes"]
        if not data["pageInfo"]["hasNextPage"]:
            return
        after = data["pageInfo"]["endCursor"]


def _variant_row(node: dict[str, Any]) -> tuple[int, int | None, str, str, Decimal | None]:
    return (
        numeric_id(node["id"]),
        numeric_id(node["inventoryItem"]["id"]),
        str(node.get("sku") or ""),
        str(node.get("displayName") or ""),
        _decimal(node.get("price")),
    )


def _levels(node: dict[str, Any]) -> list[tuple[int, int, int]]:
    item = numeric_id(node["inventoryItem"]["id"])
    return [
        (item, numeric_id(level["location"]["id"]), _available(level))
        for level in node["inventoryItem"]["inventoryLevels"]["nodes"]
    ]


def _available(level: dict[str, Any]) -> int:
    return next((q["quantity"] for q in level["quantities"] if q["name"] == "available"), 0)
