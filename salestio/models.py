"""The tenant (Shop) and the record of Shopify webhook deliveries."""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from salestio.crypto import EncryptedTextField


class ShopQuerySet(models.QuerySet["Shop"]):
    def installed(self) -> "ShopQuerySet":
        return self.filter(uninstalled_at__isnull=True)


class Shop(models.Model):
    domain = models.CharField(max_length=255, unique=True)
    access_token = EncryptedTextField(blank=True, default="")
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = EncryptedTextField(blank=True, default="")
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=1000, blank=True, default="")
    name = models.CharField(max_length=255, blank=True, default="")
    owner_email = models.EmailField(blank=True, default="")
    currency = models.CharField(max_length=3, blank=True, default="")
    locale = models.CharField(max_length=16, blank=True, default="en")
    # Shopify's shop.ianaTimezone: the merchant's dates are shown in it (UTC until known).
    iana_timezone = models.CharField(max_length=64, blank=True, default="", db_default="")
    installed_at = models.DateTimeField(default=timezone.now)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ShopQuerySet.as_manager()

    class Meta:
        indexes = [
            # refresh_expiring_shop_tokens: installed shops whose token expires soon.
            models.Index(
                fields=["access_token_expires_at"],
                name="shop_token_expiry_idx",
                condition=Q(uninstalled_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def is_installed(self) -> bool:
        return self.uninstalled_at is None

    @property
    def store_handle(self) -> str:
        """The part before .myshopify.com, as admin.shopify.com URLs use it."""
        return self.domain.removesuffix(".myshopify.com")

    def has_usable_token(self, *, at: datetime | None = None) -> bool:
        if not self.access_token or not self.is_installed:
            return False
        expires = self.access_token_expires_at
        return expires is None or expires > (at or timezone.now()) + timedelta(seconds=30)


class WebhookEvent(models.Model):
    """One row per Shopify event id: the unique constraint is the dedupe claim."""

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        # Triggered before the shop's latest install: acting on it would undo the reinstall.
        STALE = "stale"
        FAILED = "failed"

    event_id = models.CharField(max_length=255, unique=True)
    topic = models.CharField(max_length=100)
    # Null for shops we never installed on; cascades so shop/redact leaves nothing behind.
    shop = models.ForeignKey(Shop, null=True, blank=True, on_delete=models.CASCADE)
    payload = models.JSONField(default=dict)
    # X-Shopify-Triggered-At: when Shopify raised the event (retries can arrive much later).
    triggered_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)
    # The outbox lease: a row still RECEIVED after this is published again (the broker was
    # down at intake, or the message was lost).
    requeue_after = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="webhook_received_idx"),
            # requeue_unprocessed_webhooks: received rows whose lease ended.
            models.Index(
                fields=["requeue_after"],
                name="webhook_requeue_idx",
                condition=Q(status="received"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.event_id}"


class OutboxTask(models.Model):
    """A job to enqueue once its transaction commits (salestio.outbox.enqueue): deleted when
    the broker took it, published again by the beat sweep when it did not."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    publish_after = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # publish_stalled: rows whose lease ended, oldest first.
        indexes = [models.Index(fields=["publish_after"], name="outbox_publish_after_idx")]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"
