"""The orders app's rows and object URLs for the registry in tests/factories.py."""

from orders.models import SkuMapping
from salestio.models import Shop
from tests.factories import model_factory, serial


@model_factory("orders.SkuMapping")
def _sku_mapping(shop: Shop) -> SkuMapping:
    return SkuMapping.objects.create(
        shop=shop, marketplace_sku=f"MK-{serial()}", store_sku=f"SKU-{shop.domain}"
    )
