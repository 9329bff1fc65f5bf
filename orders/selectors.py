"""Reads of the orders app that other apps use."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Account
from orders.models import Order, SkuMapping
from salestio.models import Shop


def sku_mapping(*, account: Account) -> dict[str, str]:
    """Marketplace SKU → store SKU for one account: its own mappings over the shop-wide ones."""
    rows = SkuMapping.objects.filter(shop_id=account.shop_id).filter(
        account__isnull=True
    ) | SkuMapping.objects.filter(account=account)
    mapping: dict[str, str] = {}
    # Shop-wide rows first, so the account's own rows overwrite them.
    for row in sorted(rows, key=lambda r: r.account_id is not None):
        mapping[row.marketplace_sku] = row.store_sku
    return mapping


ORDERS_PAGE_SIZE = 50


def shop_orders(
    *,
    shop: Shop,
    q: str = "",
    status: str = "",
    marketplace: str = "",
    account_id: int | None = None,
) -> QuerySet[Order]:
    """The Orders tab: search by marketplace order id or Shopify order name, and filters.
    One query per page (the account is joined), whatever the page size."""
    rows = Order.objects.filter(shop=shop).select_related("account")
    if q := q.strip():
        rows = rows.filter(
            Q(marketplace_order_id__icontains=q)
            | Q(shopify_order_name__iexact=q if q.startswith("#") else f"#{q}")
        )
    if status:
        rows = rows.filter(status=status)
    if marketplace:
        rows = rows.filter(marketplace=marketplace)
    if account_id is not None:
        rows = rows.filter(account_id=account_id)
    return rows


def shop_order(*, shop: Shop, order_id: int) -> Order:
    return get_object_or_404(Order.objects.select_related("account"), shop=shop, pk=order_id)


def shop_sku_mappings(*, shop: Shop) -> QuerySet[SkuMapping]:
    return (
        SkuMapping.objects.filter(shop=shop)
        .select_related("account")
        .order_by("marketplace_sku", "account_id")
    )
