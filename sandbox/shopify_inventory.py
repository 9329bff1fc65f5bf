"""The sandbox Shopify's catalogue for listing sync: variants, inventory items and their
available quantities per location, the `productVariants` query over them, and the
`inventory_levels/update` webhook a quantity change sends.

Shapes follow the Admin GraphQL API 2025-01 (ProductVariant, InventoryItem, InventoryLevel,
InventoryQuantity; https://shopify.dev/docs/api/admin-graphql/2025-01/queries/productVariants)
and the REST webhook payload of inventory_levels/update
(https://shopify.dev/docs/api/admin-rest/2025-01/resources/inventorylevel).
"""

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_LOCATION = 1001


@dataclass
class Variant:
    id: int
    inventory_item_id: int
    product_id: int
    sku: str
    title: str
    price: str
    # location id → available
    levels: dict[int, int] = field(default_factory=dict)

    def as_node(self) -> dict[str, Any]:
        levels = [
            {
                "location": {"id": f"gid://shopify/Location/{location}"},
                "quantities": _quantities(available),
            }
            for location, available in sorted(self.levels.items())
        ]
        return {
            "id": f"gid://shopify/ProductVariant/{self.id}",
            "sku": self.sku or None,
            "price": self.price,
            "title": self.title,
            "displayName": f"Product {self.product_id} - {self.title}",
            "inventoryItem": {
                "id": f"gid://shopify/InventoryItem/{self.inventory_item_id}",
                "inventoryLevels": lambda _info, **args: _connection(levels, args),
            },
        }

    def as_rest(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "product_id": self.product_id,
            "title": self.title,
            "sku": self.sku,
            "price": self.price,
            "inventory_item_id": self.inventory_item_id,
            "inventory_quantity": sum(self.levels.values()),
        }


def _quantities(available: int) -> Callable[..., list[dict[str, Any]]]:
    def resolve(_info: Any, names: list[str]) -> list[dict[str, Any]]:
        return [{"name": name, "quantity": available} for name in names if name == "available"]

    return resolve


def _connection(nodes: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    """A cursor page: the cursor is the index of the page's last node."""
    start = int(args["after"]) + 1 if args.get("after") else 0
    first = int(args.get("first") or 50)
    page = nodes[start : start + first]
    end = start + len(page) - 1
    return {
        "nodes": page,
        "pageInfo": {
            "hasNextPage": start + first < len(nodes),
            "endCursor": str(end) if page else None,
        },
    }


class Catalog:
    """Every shop's variants; ids are unique across shops, as on Shopify."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._variants: dict[str, dict[int, Variant]] = {}
        self._ids = itertools.count(40_000_001)

    def add_variant(
        self,
        shop: str,
        *,
        sku: str,
        price: str = "19.99",
        available: int = 0,
        location_id: int = DEFAULT_LOCATION,
        title: str = "Default",
    ) -> Variant:
        with self._lock:
            variant_id = next(self._ids)
            variant = Variant(
                id=variant_id,
                inventory_item_id=variant_id + 500_000_000,
                product_id=variant_id + 900_000_000,
                sku=sku,
                title=title,
                price=price,
                levels={location_id: available},
            )
            self._variants.setdefault(shop, {})[variant.id] = variant
            return variant

    def variants(self, shop: str) -> list[Variant]:
        with self._lock:
            return list(self._variants.get(shop, {}).values())

    def by_inventory_item(self, shop: str, inventory_item_id: int) -> Variant | None:
        return next(
            (v for v in self.variants(shop) if v.inventory_item_id == inventory_item_id), None
        )

    def set_available(
        self, shop: str, inventory_item_id: int, location_id: int, available: int
    ) -> dict[str, Any] | None:
        """Set the quantity; returns the inventory_levels/update payload to send."""
        variant = self.by_inventory_item(shop, inventory_item_id)
        if variant is None:
            return None
        with self._lock:
            variant.levels[location_id] = available
        return {
            "inventory_item_id": inventory_item_id,
            "location_id": location_id,
            "available": available,
            "updated_at": datetime.now(UTC).isoformat(),
            "admin_graphql_api_id": (
                f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={inventory_item_id}"
            ),
        }

    def resolve_product_variants(self, shop: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """productVariants(first, after, query): `query` supports `sku:<value>`."""
        variants = self.variants(shop)
        query = str(arguments.get("query") or "")
        if query.startswith("sku:"):
            wanted = query.removeprefix("sku:").strip('"')
            variants = [v for v in variants if v.sku == wanted]
        return _connection([v.as_node() for v in variants], arguments)
