"""Reads: banners, the merchant's email settings, who an email would go to, the history."""

from django.conf import settings
from django.db.models import QuerySet

from notifications.models import (
    Banner,
    BouncedAddress,
    Category,
    Notification,
    NotificationSettings,
)
from salestio.models import Shop

HISTORY_PAGE_SIZE = 50


def active_banners(*, shop: Shop) -> QuerySet[Banner]:
    return Banner.objects.filter(shop=shop, resolved_at=None).order_by("-raised_at")


def default_language(shop: Shop) -> str:
    code = (shop.locale or "")[:2]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def notification_settings(*, shop: Shop) -> NotificationSettings:
    """The saved settings, or the defaults (every category off) without writing a row."""
    saved = NotificationSettings.objects.filter(shop=shop).first()
    if saved is not None:
        saved.shop = shop
        return saved
    return NotificationSettings(shop=shop, language=default_language(shop))


def address_bounced(*, shop: Shop, address: str) -> bool:
    return BouncedAddress.objects.filter(shop=shop, address=address.strip().lower()).exists()


def suppression_reason(prefs: NotificationSettings, category: str) -> str:
    """Why nothing would be emailed for `category` now ("" when it would be)."""
    reasons = Notification.Suppression
    if not prefs.shop.is_installed:
        return reasons.UNINSTALLED
    if not prefs.is_enabled(category):
        return reasons.CATEGORY_OFF
    if not prefs.address:
        return reasons.NO_ADDRESS
    if address_bounced(shop=prefs.shop, address=prefs.address):
        return reasons.ADDRESS_BOUNCED
    return reasons.NONE


def history(
    *, shop: Shop, category: str = "", email_id: int | None = None
) -> QuerySet[Notification]:
    rows = Notification.objects.filter(shop=shop).select_related("email")
    if category in Category.values:
        rows = rows.filter(category=category)
    if email_id is not None:
        rows = rows.filter(email_id=email_id)
    return rows.order_by("-created_at", "-pk")


def notification_of(*, shop: Shop, pk: int) -> Notification | None:
    return Notification.objects.filter(shop=shop, pk=pk).select_related("email").first()


def recent_problems(*, shop: Shop, limit: int = 5) -> list[Notification]:
    return list(history(shop=shop).exclude(category=Category.TEST)[:limit])
