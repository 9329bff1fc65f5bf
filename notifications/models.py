"""Banners (shown while a condition holds) and notifications (the email outbox)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from salestio.models import Shop


class BannerKind(models.TextChoices):
    ACCOUNT_EXPIRED = "account_expired"
    ACCOUNT_EXPIRING = "account_expiring"
    PLAN_LIMIT_NEAR = "plan_limit_near"
    PLAN_LIMIT_EXCEEDED = "plan_limit_exceeded"


class Category(models.TextChoices):
    ORDER_IMPORT_FAILED = "order_import_failed"
    FULFILLMENT_FAILED = "fulfillment_failed"
    LISTING_UPDATE_FAILED = "listing_update_failed"
    ACCOUNT_EXPIRED = "account_expired"
    PLAN_LIMIT = "plan_limit"


class Banner(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="banners")
    kind = models.CharField(max_length=32, choices=BannerKind.choices)
    # What the banner is about, e.g. "account:12"; one active banner per (shop, kind, subject).
    subject = models.CharField(max_length=100, blank=True, default="")
    context = models.JSONField(default=dict)
    raised_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "kind", "subject"],
                condition=Q(resolved_at__isnull=True),
                name="one_active_banner_per_subject",
            )
        ]
        indexes = [
            # active_banners(): the dashboard's query.
            models.Index(
                fields=["shop", "raised_at"],
                name="banner_active_idx",
                condition=Q(resolved_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} ({'active' if self.is_active else 'resolved'})"

    @property
    def is_active(self) -> bool:
        return self.resolved_at is None


class Notification(models.Model):
    """One event the merchant may be told about by email; written before any send."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUPPRESSED = "suppressed"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="notifications")
    category = models.CharField(max_length=32, choices=Category.choices)
    # Identifies the incident (e.g. "order:amazon:123-456"); unique while the incident is open.
    key = models.CharField(max_length=200)
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "category", "key"],
                condition=Q(closed_at__isnull=True),
                name="one_open_notification_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.key} {self.status}"
