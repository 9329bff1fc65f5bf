"""Reads: banners, the merchant's email settings, who an email would go to (and whether it
would go now), the history."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from notifications.models import (
    Banner,
    BouncedAddress,
    Category,
    Email,
    Notification,
    NotificationSettings,
)
from salestio.models import Shop

HISTORY_PAGE_SIZE = 50


def active_banners(*, shop: Shop) -> QuerySet[Banner]:
    return Banner.objects.filter(shop=shop, resolved_at=None).order_by("-raised_at")


def notification_settings(*, shop: Shop) -> NotificationSettings:
    """The saved settings, or the defaults (every category off) without writing a row."""
    saved = NotificationSettings.objects.filter(shop=shop).first()
    if saved is not None:
        saved.shop = shop
        return saved
    return _defaults(shop)


def _defaults(shop: Shop) -> NotificationSettings:
    return NotificationSettings(shop=shop)


def address_bounced(*, shop: Shop, address: str) -> bool:
    return BouncedAddress.objects.filter(shop=shop, address=address.strip().lower()).exists()


@dataclass(frozen=True)
class Routing:
    """What decides where a notification of one category goes: see routing()."""

    prefs: NotificationSettings
    address_bounced: bool
    # An email of the category went out within the digest window; None: it has no window yet.
    window_busy: bool | None

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


# Every notify() reads this, so it is written out: composed by the ORM (Exists, Subquery, Case)
# it cost 1.6 ms of CPU a call, ten times the query itself (bench_notify). The CASE is
# NotificationSettings.address; the owner's address comes in already stripped and lower-cased.
ROUTING_SQL = """
SELECT s.*,
       EXISTS (SELECT 1 FROM notifications_bouncedaddress b
                WHERE b.shop_id = s.shop_id
                  AND b.address = CASE WHEN s.use_shop_email THEN %s
                                       ELSE LOWER(TRIM(s.email)) END) AS address_bounced,
       (SELECT w.last_email_at > %s FROM notifications_digestwindow w
         WHERE w.shop_id = s.shop_id AND w.category = %s) AS window_busy
  FROM notifications_notificationsettings s
 WHERE s.shop_id = %s
"""


def routing(*, shop: Shop, category: str, now: datetime) -> Routing:
    """The settings, whether their address bounced, and whether the category's digest window
    is busy at `now`: everything notify() decides on, in one query."""
    quiet_since = connection.ops.adapt_datetimefield_value(
        now - settings.NOTIFICATION_DIGEST_WINDOW
    )
    params = [shop.owner_email.strip().lower(), quiet_since, category, shop.pk]
    saved = next(iter(NotificationSettings.objects.raw(ROUTING_SQL, params)), None)
    if saved is None:
        # The defaults switch every category off: only the test email needs the bounce check.
        prefs = _defaults(shop)
        bounced = category == Category.TEST and address_bounced(shop=shop, address=prefs.address)
        return Routing(prefs, bounced, window_busy=None)
    saved.shop = shop
    extra = vars(saved)  # the two computed columns (SQLite answers 0 and 1 for booleans)
    busy = extra["window_busy"]
    return Routing(saved, bool(extra["address_bounced"]), None if busy is None else bool(busy))


def reason_not_to_send(*, email: Email) -> str:
    """Why a composed email must not go out after all ("" when it may): while it waited, the
    shop may have uninstalled the app, switched the category off or seen the address bounce."""
    prefs = notification_settings(shop=email.shop)
    bounced = address_bounced(shop=email.shop, address=email.recipient)
    return Routing(prefs, bounced, window_busy=None).suppression_reason(email.category)


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
    """Open incidents first (newest first), then the latest resolved ones to fill up."""
    problems = history(shop=shop).exclude(category=Category.TEST)
    open_ones = list(problems.filter(closed_at=None)[:limit])
    resolved = (
        problems.exclude(closed_at=None)[: limit - len(open_ones)] if len(open_ones) < limit else []
    )
    return open_ones + list(resolved)
