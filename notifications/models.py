"""Banners (shown while a condition holds), the merchant's email settings, and the outbox:
notifications (one row per incident, written first), the emails they go out in, and each
delivery attempt."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, connections, models, router
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salestio.db import given_rows
from salestio.models import Shop


class BannerKind(models.TextChoices):
    ACCOUNT_EXPIRED = "account_expired", _("Account expired")
    ACCOUNT_EXPIRING = "account_expiring", _("Account expiring soon")
    # Connection checks kept failing (transient or non-auth errors) past
    # ACCOUNT_FAILING_NOTICE_AFTER; the account is still connected and retried.
    ACCOUNT_FAILING = "account_failing", _("Account cannot be reached")
    PLAN_LIMIT_NEAR = "plan_limit_near", _("Plan limit nearly reached")
    PLAN_LIMIT_EXCEEDED = "plan_limit_exceeded", _("Plan limit exceeded")
    # Raised by the tracking webhook: mail to the notification address bounced for good.
    EMAIL_BOUNCED = "email_bounced", _("Notification email bounced")


class Category(models.TextChoices):
    ORDER_IMPORT_FAILED = "order_import_failed", _("Failed order import")
    FULFILLMENT_FAILED = (
        "fulfillment_failed",
        _("Failed fulfillment status on Amazon, eBay or Etsy"),
    )
    LISTING_UPDATE_FAILED = "listing_update_failed", _("Failed product updates (Update Error)")
    ACCOUNT_EXPIRED = "account_expired", _("Account (Amazon, eBay, Etsy) expired")
    PLAN_LIMIT = "plan_limit", _("Plan limit nearly reached or exceeded")
    # The settings page's "Send test email"; never switched off, never throttled.
    TEST = "test", _("Test email")


# The categories a merchant switches on and off; each is a boolean field of NotificationSettings.
SETTINGS_CATEGORIES: tuple[Category, ...] = (
    Category.ORDER_IMPORT_FAILED,
    Category.FULFILLMENT_FAILED,
    Category.LISTING_UPDATE_FAILED,
    Category.ACCOUNT_EXPIRED,
    Category.PLAN_LIMIT,
)


def shop_language(shop: Shop) -> str:
    """The language the shop uses the app in (its locale may be a variant, e.g. "de-AT")."""
    code = (shop.locale or "")[:2]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _category_field() -> "models.CharField[str, str]":
    """Which Category a row belongs to (windows, emails and notifications are per category)."""
    return models.CharField(max_length=32, choices=Category.choices)


def _category_switch(category: Category) -> "models.BooleanField[bool, bool]":
    """A category's on/off field, labelled as the category is everywhere else."""
    return models.BooleanField(category.label, default=False)


class Banner(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="banners")
    kind = models.CharField(max_length=32, choices=BannerKind.choices)
    # What the banner is about, e.g. "account:12"; one active banner per (shop, kind, subject).
    subject = models.CharField(max_length=254, blank=True, default="")
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
            # selectors.dashboard_banners_read(): the dashboard's query.
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


class NotificationSettings(models.Model):
    """The settings page. No row yet means the defaults: every category off."""

    shop = models.OneToOneField(
        Shop, on_delete=models.CASCADE, related_name="notification_settings"
    )
    # One field per SETTINGS_CATEGORIES member, named by its value (see is_enabled()).
    order_import_failed = _category_switch(Category.ORDER_IMPORT_FAILED)
    fulfillment_failed = _category_switch(Category.FULFILLMENT_FAILED)
    listing_update_failed = _category_switch(Category.LISTING_UPDATE_FAILED)
    account_expired = _category_switch(Category.ACCOUNT_EXPIRED)
    plan_limit = _category_switch(Category.PLAN_LIMIT)
    use_shop_email = models.BooleanField(
        _("Use default shop email for notifications"), default=True
    )
    email = models.EmailField(_("Email address"), blank=True, default="")
    # Blank: the shop's language (Shop.locale), followed when the merchant switches it.
    language = models.CharField(
        _("Email language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(use_shop_email=True) | ~Q(email=""),
                name="notification_address_given",
            )
        ]

    def __str__(self) -> str:
        return f"notification settings of {self.shop_id}"

    def is_enabled(self, category: str) -> bool:
        return category == Category.TEST or bool(getattr(self, category))

    @property
    def address(self) -> str:
        """Where the email goes: the owner's address from Shopify, or the one entered."""
        chosen = self.shop.owner_email if self.use_shop_email else self.email
        return chosen.strip().lower()

    @property
    def email_language(self) -> str:
        """The language chosen on the settings page, or else the shop's as it is now."""
        return self.language or shop_language(self.shop)

    @property
    def any_enabled(self) -> bool:
        return any(self.is_enabled(category) for category in SETTINGS_CATEGORIES)


class BouncedAddress(models.Model):
    """A hard bounce: nothing more is sent to this address for this shop."""

    # Indexed by the unique constraint, whose first column it is.
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="bounced_addresses", db_index=False
    )
    address = models.EmailField()
    description = models.TextField(blank=True, default="")
    bounced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "address"], name="one_bounce_per_address")
        ]

    def __str__(self) -> str:
        return self.address


class DigestWindow(models.Model):
    """Per shop and category: when the last email went out and when the held items are due.

    The first notification claims the window with a conditional UPDATE and goes out at once;
    later ones in the window wait for one digest at `digest_due_at`.
    """

    # Indexed by the unique constraint, whose first column it is: an index of its own only
    # cost every write (as for the other models below).
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="digest_windows", db_index=False
    )
    category = _category_field()
    last_email_at = models.DateTimeField(null=True, blank=True)
    digest_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "category"], name="one_window_per_category")
        ]
        indexes = [
            # flush_digests: windows whose digest is due, oldest first.
            models.Index(
                fields=["digest_due_at"],
                name="digest_due_idx",
                condition=Q(digest_due_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} window of {self.shop_id}"


class Email(models.Model):
    """One email as sent (or to be sent): written, rendered and stored before any send."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Retrying")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Checked again before each send: the shop uninstalled the app, the category was
        # switched off or the address bounced meanwhile. Its notifications say which.
        CANCELLED = "cancelled", _("Not sent")

    class Delivery(models.TextChoices):
        # Anymail's normalized tracking event types we keep (anymail.signals.EventType).
        UNKNOWN = "", _("Not reported")
        DEFERRED = "deferred", _("Deferred")
        DELIVERED = "delivered", _("Delivered")
        BOUNCED = "bounced", _("Bounced")
        REJECTED = "rejected", _("Rejected")
        COMPLAINED = "complained", _("Marked as spam")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="emails")
    category = _category_field()
    recipient = models.EmailField()
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=500, blank=True, default="")
    text = models.TextField(blank=True, default="")
    html = models.TextField(blank=True, default="")
    headers = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    esp_message_id = models.CharField(max_length=255, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    delivery_status = models.CharField(
        max_length=16, choices=Delivery.choices, blank=True, default=Delivery.UNKNOWN
    )
    delivery_detail = models.TextField(blank=True, default="")
    delivery_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # record_delivery_event(): the tracking webhook finds the email by the ESP's id.
            models.Index(
                fields=["esp_message_id"], name="email_esp_id_idx", condition=~Q(esp_message_id="")
            ),
            # requeue_stalled_emails: unsent emails whose task may have been lost, and
            # claims whose lease ran out (next_attempt_at is the lease's end while sending).
            models.Index(
                fields=["next_attempt_at"],
                name="email_unsent_idx",
                condition=Q(status__in=["queued", "sending", "retrying"]),
            ),
        ]

    def __str__(self) -> str:
        return f"email {self.pk} to {self.recipient} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at handing an email to the ESP; the history shows them all."""

    class Outcome(models.TextChoices):
        STARTED = "started", _("Started")
        SENT = "sent", _("Sent")
        RETRY = "retry", _("Failed, will retry")
        FAILED = "failed", _("Failed permanently")
        CANCELLED = "cancelled", _("Not sent")

    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.STARTED)
    error = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "number"], name="one_attempt_per_number")
        ]
        ordering = ["number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of email {self.email_id}: {self.outcome}"


class Notification(models.Model):
    """One incident the merchant may be told about; written before anything is sent."""

    class Status(models.TextChoices):
        # Held in the digest window, waiting for the next email of its category.
        PENDING = "pending", _("Waiting for digest")
        QUEUED = "queued", _("In an email")
        SUPPRESSED = "suppressed", _("Not emailed")

    class Suppression(models.TextChoices):
        NONE = "", ""
        CATEGORY_OFF = "category_off", _("Category is switched off")
        NO_ADDRESS = "no_address", _("No email address")
        ADDRESS_BOUNCED = "address_bounced", _("Address bounced")
        UNINSTALLED = "uninstalled", _("App uninstalled")

    # Indexed by notification_history_idx, whose first column it is: every job run's rows
    # paid for a seventh index that no read needs.
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    category = _category_field()
    # Identifies the incident (e.g. "order:amazon:123-456"); unique while the incident is open.
    key = models.CharField(max_length=200)
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    suppressed_reason = models.CharField(
        max_length=16, choices=Suppression.choices, blank=True, default=Suppression.NONE
    )
    # RESTRICT: an email is never deleted out from under the history (the shop's deletion
    # takes both).
    email = models.ForeignKey(
        Email, null=True, blank=True, on_delete=models.RESTRICT, related_name="notifications"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "category", "key"],
                condition=Q(closed_at__isnull=True),
                name="one_open_notification_per_key",
            ),
            models.CheckConstraint(
                condition=~Q(status="queued") | Q(email__isnull=False),
                name="queued_notification_has_email",
            ),
        ]
        indexes = [
            # _compose(): the items held for the next email of a shop's category.
            models.Index(
                fields=["shop", "category", "created_at"],
                name="notification_pending_idx",
                condition=Q(status="pending"),
            ),
            # The history page, newest first.
            models.Index(fields=["shop", "-created_at"], name="notification_history_idx"),
            # selectors.recent_problems_read(): the open incidents, newest first, without walking
            # the closed ones of the history (or, before ANALYZE, sorting every open one).
            models.Index(
                fields=["shop", "-created_at", "-id"],
                name="notification_open_idx",
                condition=Q(closed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.key} {self.status}"


def shop_categories_sql(table: str, pairs: Sequence[tuple[int, str]]) -> tuple[str, list[Any]]:
    """`(t.shop_id, t.category) IN (...)` and its parameters: the rows of any of these
    (shop id, category) pairs as one row-value condition (PostgreSQL; SQLite 3.15+), the same
    text for any number of pairs on PostgreSQL (given_rows())."""
    given, params = given_rows(pairs, SHOP_CATEGORY_TYPES, connection)
    return f"({table}.shop_id, {table}.category) IN ({given})", params


# The PostgreSQL types of a (shop id, category) pair's values, for given_rows().
SHOP_CATEGORY_TYPES = ("bigint", "text")


def shop_categories_in(model: type[models.Model], pairs: Sequence[tuple[int, str]]) -> RawSQL:
    """shop_categories_sql() as a filter: the same as an OR of that many Q(shop=, category=),
    which the ORM takes longer to compose than the database to run once there are dozens
    (bench_notify)."""
    table = connections[router.db_for_read(model)].ops.quote_name(model._meta.db_table)
    return RawSQL(*shop_categories_sql(table, pairs), output_field=BooleanField())
