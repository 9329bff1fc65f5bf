"""Marketplace accounts: one connection of a shop to Amazon, eBay or Etsy, and its OAuth states."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salestio.crypto import EncryptedTextField
from salestio.models import Shop


class Marketplace(models.TextChoices):
    AMAZON = "amazon", "Amazon"
    EBAY = "ebay", "eBay"
    ETSY = "etsy", "Etsy"


class AccountQuerySet(models.QuerySet["Account"]):
    def syncable(self) -> "AccountQuerySet":
        """What order import and listing sync may work on: connected, not paused."""
        return self.filter(
            status=Account.Status.ACTIVE,
            sync_paused_at__isnull=True,
            shop__uninstalled_at__isnull=True,
        )

    def due(self, at: datetime) -> "AccountQuerySet":
        return self.filter(next_check_at__lte=at)


class Account(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for login")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        ERROR = "error", _("Error")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="marketplace_accounts")
    marketplace = models.CharField(max_length=16, choices=Marketplace.choices)
    name = models.CharField(max_length=100)
    # Amazon: a marketplace code of sp_api's Marketplaces ("DE"); eBay: a site id ("77").
    site = models.CharField(max_length=16, blank=True, default="")
    # The seller on the marketplace: selling_partner_id, eBay user id, Etsy shop id.
    external_id = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    access_token = EncryptedTextField(blank=True, default="")
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = EncryptedTextField(blank=True, default="")
    # The hard limit: Amazon's 365-day re-authorization, eBay's and Etsy's refresh token expiry.
    reauthorize_by = models.DateTimeField(null=True, blank=True)
    # The hard limit the expiring-soon warning was raised for (it is raised once per limit).
    warned_for = models.DateField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    check_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    expired_at = models.DateTimeField(null=True, blank=True)
    expired_reason = models.TextField(blank=True, default="")
    # Order import resumes from here after a pause; reconnecting never moves it.
    sync_cursor = models.DateTimeField(null=True, blank=True)
    sync_paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "marketplace", "external_id"],
                condition=~Q(external_id=""),
                name="one_account_per_seller",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | ~Q(refresh_token=""),
                name="active_account_has_credentials",
            ),
            # An expired connection must never be synced: the pause is part of expiring.
            models.CheckConstraint(
                condition=~Q(status="expired") | Q(sync_paused_at__isnull=False),
                name="expired_account_is_paused",
            ),
        ]
        indexes = [
            # claim_due_batch(): `next_check_at <= now ORDER BY next_check_at LIMIT n`.
            models.Index(
                fields=["next_check_at"],
                name="account_due_idx",
                condition=Q(next_check_at__isnull=False),
            ),
            models.Index(fields=["shop", "marketplace"], name="account_shop_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_marketplace_display()} '{self.name}'"

    @property
    def display_name(self) -> str:
        return Marketplace(self.marketplace).label

    @property
    def subject(self) -> str:
        """The banner subject and the stem of notification keys for this account."""
        return f"account:{self.pk}"

    @property
    def expires_on(self) -> date | None:
        return self.reauthorize_by.date() if self.reauthorize_by else None

    def is_expiring(self, at: datetime | None = None) -> bool:
        if self.status != self.Status.ACTIVE or self.reauthorize_by is None:
            return False
        window = timedelta(days=settings.ACCOUNT_EXPIRY_WARNING_DAYS)
        return self.reauthorize_by - (at or timezone.now()) <= window

    @property
    def display_status(self) -> str:
        """The list's status: active, expiring soon, expired, error (or waiting for login)."""
        if self.is_expiring():
            return "expiring"
        return self.status


class OAuthState(models.Model):
    """One marketplace login in flight; claiming `used_at` makes its `state` single-use."""

    nonce = models.CharField(max_length=64, unique=True)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="oauth_states")
    # Etsy's PKCE code_verifier, sent only with the code exchange.
    code_verifier = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="oauth_state_expiry_idx")]

    def __str__(self) -> str:
        return f"state for {self.account_id} ({'used' if self.used_at else 'open'})"
