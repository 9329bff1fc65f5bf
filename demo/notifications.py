"""`make demo`: one banner of each kind and one email per category, sent through the real
outbox (the demo's EMAIL_BACKEND is the console, so each also prints there).

Other apps' demo seeds raise some of these for real (demo.accounts expires an account; the
plan banner and email come from demo.billing's real usage); this
seed only fills in the kinds and categories still missing, so nothing shows twice when it runs
after them. Idempotent: a second run finds everything present."""

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from notifications import selectors, services
from notifications.models import SETTINGS_CATEGORIES, BannerKind, Category, Notification
from salestio.models import Shop

DEMO_ACCOUNT = {"account_name": "My Amazon account", "marketplace": "Amazon"}


def seed(shop: Shop, **_: Any) -> None:
    _switch_every_category_on(shop)
    shown = set(selectors.active_banners(shop=shop).values_list("kind", flat=True))
    for kind, subject, banner_context in _demo_banners():
        if kind not in shown:
            services.raise_banner(shop=shop, kind=kind, subject=subject, context=banner_context)
    emailed = set(
        Notification.objects.filter(shop=shop, email__isnull=False).values_list(
            "category", flat=True
        )
    )
    for category, key, context in _demo_incidents(shop):
        if category not in emailed:
            services.notify(shop=shop, category=category, key=key, context=context)


def _demo_banners() -> list[tuple[BannerKind, str, dict[str, str]]]:
    accounts = reverse("accounts:list")
    expires_on = (timezone.now() + timedelta(days=9)).date().isoformat()
    return [
        (BannerKind.ACCOUNT_EXPIRED, "demo:amazon", {**DEMO_ACCOUNT, "action_url": accounts}),
        (
            BannerKind.ACCOUNT_EXPIRING,
            "demo:ebay",
            {
                "account_name": "My eBay account",
                "marketplace": "eBay",
                "action_url": accounts,
                "expires_on": expires_on,
            },
        ),
    ]


def _switch_every_category_on(shop: Shop) -> None:
    prefs = selectors.notification_settings(shop=shop)
    services.update_notification_settings(
        shop=shop,
        values={
            **{str(category): True for category in SETTINGS_CATEGORIES},
            "use_shop_email": True,
            "email": prefs.email,
            "language": prefs.language,
        },
    )


def _demo_incidents(shop: Shop) -> list[tuple[Category, str, dict[str, object]]]:
    return [
        (
            Category.ORDER_IMPORT_FAILED,
            "demo:order:302-1234567-7654321",
            {
                "order_id": "302-1234567-7654321",
                "marketplace": "Amazon",
                "error": "No Shopify variant has the SKU 'MUG-RED-L'.",
                "action_url": reverse("orders:list"),
            },
        ),
        (
            Category.FULFILLMENT_FAILED,
            "demo:fulfillment:12-34567-89012",
            {
                "order_id": "12-34567-89012",
                "marketplace": "eBay",
                "error": "CompleteSale: the tracking number is not valid for carrier DHL.",
            },
        ),
        (
            Category.LISTING_UPDATE_FAILED,
            "demo:listing:MUG-BLUE-M",
            {
                "sku": "MUG-BLUE-M",
                "marketplace": "Etsy",
                "error": "updateListingInventory: quantity must be 999 or less.",
            },
        ),
        (
            Category.ACCOUNT_EXPIRED,
            "demo:account:amazon",
            {
                **DEMO_ACCOUNT,
                "reason": "Amazon asks sellers to re-authorize every 365 days.",
                "action_url": reverse("accounts:list"),
            },
        ),
    ]
