"""Marketplace listings linked to Shopify variants, the inventory they are computed from, and
the log of every push.

A listing keeps two states: *desired* (what Shopify says now) and *pushed* (what the
marketplace last accepted). `push_due_at` marks a listing whose desired state still has to go
out; many changes before it is due coalesce into one push of the latest values.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Marketplace
from salestio.models import Shop


class Listing(models.Model):
    class Status(models.TextChoices):
        LIVE = "live", _("Live")
        PENDING = "pending", _("Pending")
        UPDATE_ERROR = "update_error", _("Update Error")
        NOT_LINKED = "not_linked", _("Not linked")
        NOT_ACTIVE = "not_active", _("Not active")

    # Statuses whose listings follow Shopify on their own; an Update Error waits for the
    # merchant's Update (the seed), the others have nothing to push to.
    SYNCED = (Status.LIVE, Status.PENDING)

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="listings")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="listings")
    # One listing per account and key: Amazon "<seller sku>", eBay "<ItemID>:<sku>",
    # Etsy "<listing id>:<product id>".
    remote_key = models.CharField(max_length=255)
    sku = models.CharField(max_length=200, blank=True, default="")
    # eBay ItemID or Etsy listing id; Amazon's ASIN has its own column.
    item_id = models.CharField(max_length=64, blank=True, default="")
    asin = models.CharField(max_length=20, blank=True, default="")
    # Etsy: the product (variation) and its offering inside the listing.
    product_id = models.CharField(max_length=64, blank=True, default="")
    offering_id = models.CharField(max_length=64, blank=True, default="")
    # Amazon's product type, which patchListingsItem requires.
    product_type = models.CharField(max_length=100, blank=True, default="")
    title = models.CharField(max_length=500, blank=True, default="")
    # The Shopify side: the store SKU (after SKU mapping), its variant and inventory item.
    store_sku = models.CharField(max_length=200, blank=True, default="")
    variant_id = models.BigIntegerField(null=True, blank=True)
    inventory_item_id = models.BigIntegerField(null=True, blank=True)
    desired_quantity = models.IntegerField(null=True, blank=True)
    desired_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    pushed_quantity = models.IntegerField(null=True, blank=True)
    pushed_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_LINKED)
    error_message = models.TextField(blank=True, default="")
    error_at = models.DateTimeField(null=True, blank=True)
    push_due_at = models.DateTimeField(null=True, blank=True)
    # A push took the listing and has until then to record its outcome; past it the push is
    # taken for lost (its worker died) and the listing is due again.
    push_claimed_until = models.DateTimeField(null=True, blank=True)
    # Retryable failures of the current push; the last retry turns into an Update Error.
    attempts = models.PositiveSmallIntegerField(default=0)
    pushed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "remote_key"], name="listing_one_per_key"),
            models.CheckConstraint(
                condition=~Q(status="update_error") | ~Q(error_message=""),
                name="listing_error_has_message",
            ),
        ]
        indexes = [
            # services.claim_due(): `account = ? AND push_due_at <= now`.
            models.Index(
                fields=["account", "push_due_at"],
                name="listing_push_due_idx",
                condition=Q(push_due_at__isnull=False),
            ),
            # services.claim_due() and fan_out_due(): the claims whose push was lost.
            models.Index(
                fields=["account", "push_claimed_until"],
                name="listing_push_claimed_idx",
                condition=Q(push_claimed_until__isnull=False),
            ),
            # selectors.counters() and the page's status filter.
            models.Index(fields=["shop", "status"], name="listing_shop_status_idx"),
            # selectors.counters_by_account(): counted from the index alone.
            models.Index(fields=["shop", "account", "status"], name="listing_counter_idx"),
            # Webhooks find listings by inventory item and by variant.
            models.Index(fields=["shop", "inventory_item_id"], name="listing_inventory_idx"),
            models.Index(fields=["shop", "variant_id"], name="listing_variant_idx"),
            models.Index(fields=["shop", "store_sku"], name="listing_store_sku_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account.marketplace} {self.sku or self.remote_key}"

    @property
    def marketplace(self) -> str:
        return self.account.marketplace


class ListingCount(models.Model):
    """How many of a shop's listings on one marketplace have one status: the dashboard's
    counters, read without counting the listings. Kept exact by the database itself: the
    triggers of migration 0003 apply every insert, delete and change of status or account of a
    listing, whichever path wrote it (bulk updates included). Nothing else writes this table:
    a loaddata of listings recounts them, so a fixture must leave these rows out."""

    # Indexed by the unique constraint, whose first column it is.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    marketplace = models.CharField(max_length=16, choices=Marketplace.choices)
    status = models.CharField(max_length=16, choices=Listing.Status.choices)
    total = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The triggers' upsert target, and selectors.counters_by_marketplace_read()'s index.
            models.UniqueConstraint(
                fields=["shop", "marketplace", "status"], name="listing_count_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.marketplace} {self.status}: {self.total}"


class ListingPush(models.Model):
    """One attempt to push a listing, or the merchant's Update: the listing's push log."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        RETRY = "retry", _("Will retry")
        ERROR = "error", _("Update Error")
        REQUESTED = "requested", _("Update requested")

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="pushes")
    quantity = models.IntegerField(null=True, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    message = models.TextField(blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["listing", "-at"], name="listing_push_log_idx")]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.outcome} at {self.at:%Y-%m-%d %H:%M}"


class InventoryLevel(models.Model):
    """Shopify's available quantity of one inventory item at one location."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="inventory_levels")
    inventory_item_id = models.BigIntegerField()
    location_id = models.BigIntegerField()
    available = models.IntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "inventory_item_id", "location_id"], name="inventory_level_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inventory_item_id}@{self.location_id}: {self.available}"


class ListingSettings(models.Model):
    """Which Shopify locations count toward a listing's quantity; none listed means all."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="listing_settings")
    counted_location_ids = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"listing settings of {self.shop_id}"

    def counts(self, location_id: int) -> bool:
        return not self.counted_location_ids or location_id in self.counted_location_ids


class StoreVariant(models.Model):
    """A Shopify variant as the webhooks and the reconciliation last reported it: what
    listings link to by SKU, and where their desired price comes from."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="store_variants")
    variant_id = models.BigIntegerField()
    inventory_item_id = models.BigIntegerField(null=True, blank=True)
    sku = models.CharField(max_length=200, blank=True, default="")
    title = models.CharField(max_length=500, blank=True, default="")
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "variant_id"], name="store_variant_once")
        ]
        # Linking finds variants by SKU.
        indexes = [models.Index(fields=["shop", "sku"], name="store_variant_sku_idx")]

    def __str__(self) -> str:
        return f"{self.sku or self.variant_id}"
