"""`make demo`: one email per category, sent through the real outbox (the demo's
EMAIL_BACKEND is the console, so each also prints there).

Banners are state (notifications.conditions): none is raised here. The account banners come
from the real accounts (demo.accounts expires one and lets the ordinary check warn about
another), the plan banner from demo.billing's real usage, so re-seeding after a reconnect
shows no banner for an active account. This seed switches every email category on (first,
see demo.seeding) and fills in the emails of the categories still missing. Idempotent: a
second run finds everything present."""

from typing import Any

from django.urls import reverse

from notifications import selectors, services
from notifications.models import SETTINGS_CATEGORIES, Category, Notification
from salestio.models import Shop

DEMO_ACCOUNT = {"account_name": "My Amazon account", "marketplace": "Amazon"}


def seed(shop: Shop, **_: Any) -> None:
    switch_every_category_on(shop)
    emailed = set(
        Notification.objects.filter(shop=shop, email__isnull=False).values_list(
            "category", flat=True
        )
    )
    for category, key, context in _demo_incidents(shop):
        if category not in emailed:
            services.notify(shop=shop, category=category, key=key, context=context)


def switch_every_category_on(shop: Shop, **_: Any) -> None:
    """Before any other app's seed, so their incidents are emailed, not "switched off"."""
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
