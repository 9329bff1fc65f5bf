"""Reads: banners, the merchant's email settings, who an email would go to (and whether it
would go now), the history."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import (
    Case,
    EmailField,
    Exists,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower, Trim

from notifications.models import (
    Banner,
    BouncedAddress,
    Category,
    DigestWindow,
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
    return _defaults(shop)


def _defaults(shop: Shop) -> NotificationSettings:
    return NotificationSettings(shop=shop, language=default_language(shop))


def address_bounced(*, shop: Shop, address: str) -> bool:
    return BouncedAddress.objects.filter(shop=shop, address=address.strip().lower()).exists()


@dataclass(frozen=True)
class Routing:
    """What decides where a notification of one category goes: see routing()."""

    prefs: NotificationSettings
    address_bounced: bool
    # When the category's last email went out; None while it has no digest window yet.
    last_email_at: datetime | None

    def suppression_reason(self, category: str) -> str:
        """Why nothing would be emailed for `category` now ("" when it would be)."""
        reasons, prefs = Notification.Suppression, self.prefs
        if not prefs.shop.is_installed:
            return reasons.UNINSTALLED
        if not prefs.is_enabled(category):
            return reasons.CATEGORY_OFF
        if not prefs.address:
            return reasons.NO_ADDRESS
        if self.address_bounced:
            return reasons.ADDRESS_BOUNCED
        return reasons.NONE


def routing(*, shop: Shop, category: str) -> Routing:
    """The settings, whether their address bounced, and when the category's last email went
    out: everything notify() decides on, in one query."""
    window = DigestWindow.objects.filter(shop=shop, category=category)
    saved = (
        NotificationSettings.objects.filter(shop=shop)
        .alias(chosen_address=_address_in_sql(shop))
        .annotate(
            bounced=Exists(
                BouncedAddress.objects.filter(shop=shop, address=OuterRef("chosen_address"))
            ),
            last_email_at=Subquery(window.values("last_email_at")),
        )
        .first()
    )
    if saved is None:
        # The defaults switch every category off: only the test email needs the bounce check.
        prefs = _defaults(shop)
        bounced = category == Category.TEST and address_bounced(shop=shop, address=prefs.address)
        return Routing(prefs, bounced, last_email_at=None)
    saved.shop = shop
    return Routing(saved, saved.bounced, saved.last_email_at)


def _address_in_sql(shop: Shop) -> Case:
    """NotificationSettings.address, for the bounce lookup in the same query."""
    owner = shop.owner_email.strip().lower()
    return Case(
        When(use_shop_email=True, then=Value(owner)),
        default=Lower(Trim(F("email"))),
        output_field=EmailField(),
    )


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
