"""Plans and exchange rates are data the operator edits (/staff/); subscriptions and usage
are shown for support, read-only where Shopify or the counter owns the truth."""

from django.contrib import admin

from billing.models import ExchangeRate, Plan, Subscription, UsagePeriod


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "monthly_price", "gmv_limit", "currency", "position", "active")
    list_editable = ("monthly_price", "gmv_limit", "position", "active")


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("base", "quote", "rate", "as_of", "source")
    list_filter = ("base", "quote")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("shop", "plan", "status", "current_period_end", "pending_plan")
    list_select_related = ("shop", "plan", "pending_plan")
    readonly_fields = ("shop", "shopify_id", "status", "current_period_end", "pending_shopify_id")


@admin.register(UsagePeriod)
class UsagePeriodAdmin(admin.ModelAdmin):
    list_display = ("shop", "starts_at", "ends_at", "used", "gmv_limit", "currency", "state")
    list_filter = ("state", "closed")
    list_select_related = ("shop",)
    # The counter changes only through billing.usage (atomic increments, guarded states).
    readonly_fields = ("shop", "starts_at", "ends_at", "used", "gmv_limit", "currency", "state")
