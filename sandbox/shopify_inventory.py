"""The sandbox Shopify's one variant store, shared by listing sync and order import: variants,
inventory items and their available quantities per location, the `productVariants` query over
them (sku search and cursor pages), orderCreate's stock decrement, and the
`inventory_levels/update` payload a quantity change sends.

Shapes follow the Admin GraphQL API 2025-01 (ProductVariant, InventoryItem, InventoryLevel,
InventoryQuantity; https://shopify.dev/docs/api/admin-graphql/2025-01/queries/productVariants)
and the REST webhook payload of inventory_levels/update
(https://shopify.dev/docs/api/admin-rest/2025-01/resources/inventorylevel).
"""

import itertools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_LOCATION = 1001
SEARCH_TERM = re.compile(r'(\w+):(?:"([^"]*)"|(\S+))')


def search_terms(query: str) -> dict[str, str]:
    """Shopify's search syntax, the `field:value` / `field:"value"` terms the app sends."""
    return {
        m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
        for m in SEARCH_TERM.finditer(query or "")
    }


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

    @property
    def gid(self) -> str:
        return f"gid://shopify/ProductVariant/{self.id}"

    @property
    def available(self) -> int:
        return sum(self.levels.values())

    def as_node(self) -> dict[str, Any]:
        levels = [
            {
                "location": {"id": f"gid://shopify/Location/{location}"},
                "quantities": _quantities(available),
            }
            for location, available in sorted(self.levels.items())
        ]
        return {
            "id": self.gid,
            "sku": self.sku or None,
            "inventoryQuantity": self.available,
            "price": self.price,
            "title": self.title,
            "displayName": f"Product {self.product_id} - {self.title}",
            "inventoryItem": {
                "id": f"gid://shopify/InventoryItem/{self.inventory_item_id}",
                "inventoryLevels": lambda _info, **args: connection(levels, args),
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
            "inventory_quantity": self.available,
        }


def _quantities(available: int) -> Callable[..., list[dict[str, Any]]]:
    def resolve(_info: Any, names: list[str]) -> list[dict[str, Any]]:
        return [{"name": name, "quantity": available} for name in names if name == "available"]

    return resolve


def connection(nodes: list[Any], args: dict[str, Any]) -> dict[str, Any]:
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

    def by_sku(self, shop: str, sku: str) -> Variant | None:
        return next((v for v in self.variants(shop) if v.sku == sku), None)

    def stocked(self, shop: str, sku: str, **details: Any) -> Variant:
        """The variant with this SKU, added with `details` (add_variant's) if missing."""
        return self.by_sku(shop, sku) or self.add_variant(shop, sku=sku, **details)

    def sell(self, shop: str, variant_gid: str, quantity: int) -> dict[str, Any] | None:
        """An order takes `quantity` from the variant's first location, even past zero
        (orderCreate's DECREMENT_IGNORING_POLICY); returns the inventory_levels/update payload."""
        variant = next((v for v in self.variants(shop) if v.gid == variant_gid), None)
        if variant is None:
            return None
        location = min(variant.levels, default=DEFAULT_LOCATION)
        available = variant.levels.get(location, 0) - quantity
        return self.set_available(shop, variant.inventory_item_id, location, available)

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
        sku = search_terms(str(arguments.get("query") or "")).get("sku")
        variants = [v for v in self.variants(shop) if sku is None or v.sku == sku]
        return connection([v.as_node() for v in variants], arguments)
