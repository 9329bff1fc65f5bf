"""Imported orders and the SKU mapping shared with listings."""

from django.db import models
from django.utils import timezone

from accounts.models import Account
from salestio.models import Shop


class SkuMapping(models.Model):
    """A marketplace SKU that is a different SKU in the Shopify store.

    `account` None maps the SKU for every account of the shop; an account's own mapping
    wins over the shop-wide one. Order import and listing discovery both read it.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sku_mappings")
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="sku_mappings"
    )
    marketplace_sku = models.CharField(max_length=200)
    store_sku = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "account", "marketplace_sku"],
                name="sku_mapping_one_per_account",
                condition=models.Q(account__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["shop", "marketplace_sku"],
                name="sku_mapping_one_shop_wide",
                condition=models.Q(account__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.marketplace_sku} → {self.store_sku}"
