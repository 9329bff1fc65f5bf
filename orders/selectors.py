"""Reads of the orders app that other apps use."""

from accounts.models import Account
from orders.models import SkuMapping


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
