"""A busy shop's rows, written in bulk: what the dashboard tests and benchmarks populate."""

from typing import Any

from django.utils import timezone

from accounts.models import Account
from notifications.models import Banner, BannerKind, Category, Notification
from orders.models import SkuMapping
from salestio.crypto import encrypt


def populate(shop: Any, *, accounts: int, notifications: int) -> None:
    """Rows as a busy shop has them: expired accounts (each with its banner), notifications
    of every category, a SKU mapping per account."""
    secret, now = encrypt("refresh-token"), timezone.now()
    created = Account.objects.bulk_create(
        Account(
            shop=shop,
            marketplace="ebay",
            name=f"account {n}",
            external_id=f"seller-{shop.pk}-{n}",
            status=Account.Status.EXPIRED,  # its banner holds (accounts.banner_conditions)
            refresh_token=secret,
            sync_paused_at=now,
            paused_reason=Account.PauseReason.EXPIRED,
        )
        for n in range(accounts)
    )
    Banner.objects.bulk_create(
        Banner(
            shop=shop,
            kind=BannerKind.ACCOUNT_EXPIRED,
            subject=f"account:{account.pk}",
            context={"account_name": account.name, "marketplace": "eBay"},
        )
        for account in created
    )
    SkuMapping.objects.bulk_create(
        SkuMapping(shop=shop, marketplace_sku=f"M-{n}", store_sku=f"S-{n}") for n in range(accounts)
    )
    categories = list(Category)
    Notification.objects.bulk_create(
        (
            Notification(
                shop=shop,
                category=categories[n % len(categories)],
                key=f"incident:{n}",
                context={"sku": f"SKU-{n}", "error": "Quantity rejected"},
                status=Notification.Status.SUPPRESSED,
                suppressed_reason=Notification.Suppression.CATEGORY_OFF,
            )
            for n in range(notifications)
        ),
        batch_size=2000,
    )
