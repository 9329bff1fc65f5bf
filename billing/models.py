"""Plans, the shop's subscription, and GMV usage: one counter row per shop and billing period,
one usage line per order key (with the exchange rate used), and the stored rate table."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.money import format_money
from salestio.models import Shop

# Money columns: Decimal with cents, up to a trillion (Django needs both on every field).
DIGITS, CENTS = 14, 2
FREE_PLAN = "free"


class Plan(models.Model):
    """A plan as the merchant chooses it; rows come from a data migration, editable in admin."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    monthly_price = models.DecimalField(max_digits=DIGITS, decimal_places=CENTS)
    # Null: no GMV limit.
    gmv_limit = models.DecimalField(null=True, blank=True, max_digits=DIGITS, decimal_places=CENTS)
    currency = models.CharField(max_length=3, default="EUR")
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_price__gte=0), name="plan_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(gmv_limit__isnull=True) | Q(gmv_limit__gt=0), name="plan_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.monthly_price == 0

    @property
    def price_text(self) -> str:
        return format_money(self.monthly_price, self.currency)

    @property
    def limit_text(self) -> str:
        return format_money(self.gmv_limit, self.currency) if self.gmv_limit else ""


class Subscription(models.Model):
    """The shop's plan as Shopify confirmed it. No row: the free plan."""

    class Status(models.TextChoices):
        # shopify.dev/docs/api/admin-graphql/latest/enums/AppSubscriptionStatus
        ACTIVE = "ACTIVE", _("Active")
        PENDING = "PENDING", _("Pending")
        DECLINED = "DECLINED", _("Declined")
        EXPIRED = "EXPIRED", _("Expired")
        FROZEN = "FROZEN", _("Frozen")
        CANCELLED = "CANCELLED", _("Cancelled")

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="subscription")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    shopify_id = models.CharField(max_length=128, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    current_period_end = models.DateTimeField(null=True, blank=True)
    # A charge the merchant was sent to approve; confirmed on return or by the webhook.
    pending_plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pending_shopify_id = models.CharField(max_length=128, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.plan} for {self.shop_id} ({self.status})"


class UsageState(models.TextChoices):
    OK = "ok", _("Within the limit")
    NEAR = "near", _("Nearly reached")
    EXCEEDED = "exceeded", _("Exceeded")


class UsagePeriod(models.Model):
    """The GMV counter of one shop and billing period. The open row (closed=False) is the
    current period: the sweep and the dashboard read this one row, never the orders."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="usage_periods")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The limit and its currency in force, copied from the plan (None: no limit).
    gmv_limit = models.DecimalField(null=True, blank=True, max_digits=DIGITS, decimal_places=CENTS)
    currency = models.CharField(max_length=3)
    used = models.DecimalField(default=Decimal("0"), max_digits=DIGITS, decimal_places=CENTS)
    state = models.CharField(max_length=16, choices=UsageState.choices, default=UsageState.OK)
    closed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop"], condition=Q(closed=False), name="one_open_usage_period"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="period_not_empty"
            ),
        ]
        indexes = [
            # rollover_due_periods(): open periods whose end has passed.
            models.Index(fields=["ends_at"], name="usage_open_end_idx", condition=Q(closed=False)),
        ]

    def __str__(self) -> str:
        return f"usage of {self.shop_id} {self.starts_at:%Y-%m-%d}: {self.used} {self.currency}"


class UsageLine(models.Model):
    """One order's contribution (negative for a return or cancellation); the key makes
    recording idempotent, and the rate used stays with it."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="usage_lines")
    period = models.ForeignKey(UsagePeriod, on_delete=models.CASCADE, related_name="lines")
    key = models.CharField(max_length=200)
    amount = models.DecimalField(
        max_digits=DIGITS, decimal_places=CENTS
    )  # in the period's currency
    original_amount = models.DecimalField(max_digits=DIGITS, decimal_places=CENTS)
    original_currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "key"], name="one_usage_line_per_key")
        ]
        indexes = [models.Index(fields=["period", "occurred_at"], name="usage_line_period_idx")]

    def __str__(self) -> str:
        return f"{self.key}: {self.amount}"


class ExchangeRate(models.Model):
    """1 `base` = `rate` `quote`, as published on `as_of` by `source` (ECB by default)."""

    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    as_of = models.DateField()
    source = models.CharField(max_length=200, blank=True, default="")
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["base", "quote", "as_of"], name="one_rate_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="rate_positive"),
        ]
        indexes = [
            # rate_for(): the latest rate of a pair on or before a day.
            models.Index(fields=["base", "quote", "-as_of"], name="rate_lookup_idx")
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} ({self.as_of})"
