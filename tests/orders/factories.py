"""The orders app's rows and object URLs for the registry in tests/factories.py."""

from decimal import Decimal

from accounts.models import Account
from orders.models import Fulfillment, Order, OrderItem, OrderLogLine, SkuMapping
from salestio.models import Shop
from tests.factories import UrlKwargs, make, model_factory, serial, url_object


@model_factory("orders.SkuMapping")
def _sku_mapping(shop: Shop) -> SkuMapping:
    return SkuMapping.objects.create(
        shop=shop, marketplace_sku=f"MK-{serial()}", store_sku=f"SKU-{shop.domain}"
    )


def _account(shop: Shop) -> Account:
    return Account.objects.create(shop=shop, marketplace="etsy", name=f"Etsy of {shop.domain}")


@model_factory("orders.Order")
def _order(shop: Shop) -> Order:
    order = Order.objects.create(
        shop=shop,
        account=_account(shop),
        marketplace="etsy",
        marketplace_order_id=f"R-{serial()}",
        buyer_name=f"Buyer of {shop.domain}",
    )
    OrderItem.objects.create(
        order=order, marketplace_sku="SKU-1", quantity=1, unit_price=Decimal("1.00")
    )
    return order


@model_factory("orders.OrderItem")
def _order_item(shop: Shop) -> OrderItem:
    return _order(shop).items.get()


@model_factory("orders.OrderLogLine")
def _order_log_line(shop: Shop) -> OrderLogLine:
    return OrderLogLine.objects.create(order=_order(shop), message=f"Fetched for {shop.domain}")


@model_factory("orders.Fulfillment")
def _fulfillment(shop: Shop) -> Fulfillment:
    return Fulfillment.objects.create(
        order=_order(shop), shopify_fulfillment_id=str(serial()), tracking_number=shop.domain
    )


@url_object("orders:detail")
def _order_url(shop: Shop) -> UrlKwargs:
    return {"order_id": make("orders.Order", shop).pk}


@url_object("orders:sku-mapping-delete")
def _mapping_url(shop: Shop) -> UrlKwargs:
    return {"mapping_id": make("orders.SkuMapping", shop).pk}
