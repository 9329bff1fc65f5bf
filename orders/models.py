"""Imported orders and the SKU mapping shared with listings."""

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Marketplace
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


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Order(models.Model):
    """One marketplace order and what became of it in Shopify.

    (account, marketplace_order_id) is unique: however often a marketplace lists the order,
    and however many workers import at once, it is one row and so at most one Shopify order.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="orders")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="orders")
    marketplace = models.CharField(max_length=16, choices=Marketplace.choices)
    marketplace_order_id = models.CharField(max_length=100)
    marketplace_status = models.CharField(max_length=50, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    error = models.TextField(blank=True, default="")
    # SKUs that had no Shopify variant at the last export: a mapping for one retries it.
    missing_skus = models.JSONField(default=list, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    buyer_name = models.CharField(max_length=200, blank=True, default="")
    # The normalized order (address, shipping lines, taxes) as exported to Shopify.
    details = models.JSONField(default=dict, blank=True)
    ordered_at = models.DateTimeField(null=True, blank=True)
    marketplace_updated_at = models.DateTimeField(null=True, blank=True)
    shopify_order_id = models.CharField(max_length=100, blank=True, default="")
    shopify_order_name = models.CharField(max_length=50, blank=True, default="")
    # Stored while the shop's plan limit pauses exports; exported when the limit lifts.
    held_for_limit = models.BooleanField(default=False)
    # False while billing could not count the order yet (no exchange rate stored for its
    # currency); every later run of the account tries again.
    usage_recorded = models.BooleanField(default=False)
    export_attempts = models.PositiveIntegerField(default=0)
    # Written and committed before each orderCreate: an order without it has never been sent
    # to Shopify, so its export skips the lookup by source identifier (orders.services).
    export_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "marketplace_order_id"], name="order_once_per_account"
            )
        ]
        indexes = [
            models.Index(fields=["shop", "status"]),
            models.Index(fields=["shop", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.marketplace} {self.marketplace_order_id}"

    @property
    def missing_skus_text(self) -> str:
        return ", ".join(self.missing_skus)

    @property
    def source_identifier(self) -> str:
        """What Shopify stores as sourceIdentifier: unique per account and order."""
        return f"{self.marketplace}:{self.account_id}:{self.marketplace_order_id}"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    line_id = models.CharField(max_length=100, blank=True, default="")
    marketplace_sku = models.CharField(max_length=200)
    title = models.CharField(max_length=300, blank=True, default="")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    tax = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.marketplace_sku}"


class OrderLogLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="log_lines")
    at = models.DateTimeField(default=timezone.now)
    message = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.message}"


class FulfillmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Fulfillment(models.Model):
    """A Shopify fulfillment whose tracking goes back to the marketplace."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfillments")
    shopify_fulfillment_id = models.CharField(max_length=100)
    carrier = models.CharField(max_length=100, blank=True, default="")
    tracking_number = models.CharField(max_length=200, blank=True, default="")
    shipped_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=16, choices=FulfillmentStatus.choices, default=FulfillmentStatus.PENDING
    )
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "shopify_fulfillment_id"], name="fulfillment_once_per_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"
