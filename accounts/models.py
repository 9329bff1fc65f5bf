"""Marketplace accounts: one connection of a shop to Amazon, eBay or Etsy, and its OAuth states."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.sites import site_name
from salestio.crypto import EncryptedTextField
from salestio.models import Shop


class Marketplace(models.TextChoices):
    AMAZON = "amazon", "Amazon"
    EBAY = "ebay", "eBay"
    ETSY = "etsy", "Etsy"


class AccountQuerySet(models.QuerySet["Account"]):
    def syncable(self) -> "AccountQuerySet":
        """What order import and listing sync may work on: connected, not paused.

        ERROR stays syncable: it records that the periodic check failed, which says little
        about the calls order import makes; those report their own failures.
        """
        return self.filter(
            status__in=Account.CONNECTED,
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
        # The seller's marketplace account was deleted (eBay's Marketplace Account Deletion):
        # no login restores it, so it is neither "expired" nor raises that banner.
        DISCONNECTED = "disconnected", _("Deleted at the marketplace")

    class PauseReason(models.TextChoices):
        EXPIRED = "expired", _("The connection expired")
        UNINSTALLED = "uninstalled", _("Salestio was uninstalled")
        DELETED = "deleted", _("The seller account was deleted at the marketplace")

    # Holding credentials: checked periodically, synced unless paused.
    CONNECTED = (Status.ACTIVE, Status.ERROR)

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
    # The first failed check of the current run of failures; a healthy check clears it.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    expired_reason = models.TextField(blank=True, default="")
    # Order import resumes from here after a pause; reconnecting never moves it.
    sync_cursor = models.DateTimeField(null=True, blank=True)
    sync_paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(
        max_length=16, choices=PauseReason.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped by every status change (accounts.transitions), each conditional on the version it
    # was decided from: a check that read the account before a reconnect cannot undo it.
    version = models.PositiveIntegerField(default=0, db_default=0)

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
            models.CheckConstraint(
                condition=~Q(status="disconnected") | Q(sync_paused_at__isnull=False),
                name="disconnected_account_is_paused",
            ),
            # A pause always says why, so the reinstall resumes only what the uninstall paused.
            models.CheckConstraint(
                condition=Q(sync_paused_at__isnull=True, paused_reason="")
                | (Q(sync_paused_at__isnull=False) & ~Q(paused_reason="")),
                name="pause_has_reason",
            ),
        ]
        indexes = [
            # sweep.claim_due(): `next_check_at <= now ORDER BY next_check_at LIMIT n`.
            models.Index(
                fields=["next_check_at"],
                name="account_due_idx",
                condition=Q(next_check_at__isnull=False),
            ),
            models.Index(fields=["shop", "marketplace"], name="account_shop_idx"),
            # purge_abandoned_logins(): never-connected accounts older than a day.
            models.Index(
                fields=["created_at"],
                name="account_pending_idx",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_marketplace_display()} '{self.name}'"

    @property
    def display_name(self) -> str:
        return Marketplace(self.marketplace).label

    @property
    def site_name(self) -> str:
        return site_name(self.marketplace, self.site)

    @property
    def subject(self) -> str:
        """The banner subject and the stem of notification keys for this account."""
        return f"account:{self.pk}"

    @property
    def expires_on(self) -> date | None:
        return self.reauthorize_by.date() if self.reauthorize_by else None

    def is_expiring(self, at: datetime | None = None) -> bool:
        return self.status == self.Status.ACTIVE and self.limit_is_near(at)

    def limit_is_near(self, at: datetime | None = None) -> bool:
        """The hard limit is within the warning window (whatever the status)."""
        if self.reauthorize_by is None:
            return False
        window = timedelta(days=settings.ACCOUNT_EXPIRY_WARNING_DAYS)
        return self.reauthorize_by - (at or timezone.now()) <= window

    def is_failing(self, at: datetime | None = None) -> bool:
        """Checks have kept failing long enough that the merchant must see it: the list and
        edit pages, a dashboard banner and an email (health.warn_if_failing)."""
        if self.status not in self.CONNECTED or self.failing_since is None:
            return False
        return (at or timezone.now()) - self.failing_since >= settings.ACCOUNT_FAILING_NOTICE_AFTER

    @property
    def display_status(self) -> str:
        """The list's status: active, expiring soon, failing, expired, error, deleted, pending."""
        if self.is_failing():
            return "failing"
        if self.is_expiring():
            return "expiring"
        return self.status

    @property
    def current_error(self) -> str:
        """The last error, unless the account expired after it (the expiry then explains)."""
        if self.expired_at is None:
            return self.last_error
        after_expiry = self.last_error_at is not None and self.last_error_at > self.expired_at
        return self.last_error if after_expiry else ""


class OAuthState(models.Model):
    """One marketplace login in flight; claiming `used_at` makes its `state` single-use."""

    nonce = models.CharField(max_length=64, unique=True)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="oauth_states")
    # Etsy's PKCE code_verifier, sent only with the code exchange.
    code_verifier = EncryptedTextField(blank=True, default="")
    # The marketplace/site chosen on Save account; the account takes it only once logged in.
    site = models.CharField(max_length=16, blank=True, default="")
    # SHA-256 of the secret the start URL gave the browser in a cookie: only the browser that
    # left for the consent page may come back with the code.
    browser_key_hash = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="oauth_state_expiry_idx")]

    def __str__(self) -> str:
        return f"state for {self.account_id} ({'used' if self.used_at else 'open'})"
