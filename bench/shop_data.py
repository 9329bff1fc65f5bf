"""A busy shop's rows, written in bulk: what the dashboard tests and benchmarks populate."""

from decimal import Decimal
from itertools import cycle, islice
from typing import Any

from django.utils import timezone

from accounts.models import Account, Marketplace
from billing.models import UsagePeriod
from billing.usage import open_period, state_for
from listings.models import Listing
from notifications.models import Banner, BannerKind, Category, Notification
from orders.models import Order, OrderStatus, SkuMapping
from salestio.crypto import encrypt

BATCH = 2000
ORDER_TOTAL = Decimal("25.00")


def populate(
    shop: Any, *, accounts: int, notifications: int, listings: int = 0, orders: int = 0
) -> None:
    """Rows as a busy shop has them: expired accounts of every marketplace (each with its
    banner and a SKU mapping), notifications of every category (one in ten still open),
    listings of every status and imported orders with their GMV counted."""
    created = _accounts(shop, accounts)
    Banner.objects.bulk_create(
        Banner(
            shop=shop,
            kind=BannerKind.ACCOUNT_EXPIRED,
            subject=f"account:{account.pk}",
            context={
                "account_name": account.name,
                "marketplace": account.get_marketplace_display(),
            },
        )
        for account in created
    )
    SkuMapping.objects.bulk_create(
        SkuMapping(shop=shop, marketplace_sku=f"M-{n}", store_sku=f"S-{n}") for n in range(accounts)
    )
    _notifications(shop, notifications)
    _listings(shop, created, listings)
    _orders(shop, created, orders)


def _accounts(shop: Any, count: int) -> list[Account]:
    secret, now = encrypt("refresh-token"), timezone.now()
    return Account.objects.bulk_create(
        (
            Account(
                shop=shop,
                marketplace=marketplace,
                name=f"account {n}",
                external_id=f"seller-{shop.pk}-{n}",
                status=Account.Status.EXPIRED,  # its banner holds (accounts.banner_conditions)
                refresh_token=secret,
                sync_paused_at=now,
                paused_reason=Account.PauseReason.EXPIRED,
            )
            for n, marketplace in enumerate(islice(cycle(Marketplace.values), count))
        ),
        batch_size=BATCH,
    )


def _notifications(shop: Any, count: int) -> None:
    categories, now = list(Category), timezone.now()
    Notification.objects.bulk_create(
        (
            Notification(
                shop=shop,
                category=categories[n % len(categories)],
                key=f"incident:{n}",
                context={"sku": f"SKU-{n}", "error": "Quantity rejected"},
                status=Notification.Status.SUPPRESSED,
                suppressed_reason=Notification.Suppression.CATEGORY_OFF,
                closed_at=None if n % 10 == 0 else now,
            )
            for n in range(count)
        ),
        batch_size=BATCH,
    )


def _listings(shop: Any, accounts: list[Account], count: int) -> None:
    statuses = list(Listing.Status)
    Listing.objects.bulk_create(
        (
            Listing(
                shop=shop,
                account=account,
                remote_key=f"L-{n}",
                sku=f"SKU-{n}",
                title=f"Listing {n}",
                status=(status := statuses[n % len(statuses)]),
                error_message="Quantity rejected" if status == Listing.Status.UPDATE_ERROR else "",
            )
            for n, account in enumerate(islice(cycle(accounts), count))
        ),
        batch_size=BATCH,
    )


def _orders(shop: Any, accounts: list[Account], count: int) -> None:
    """Imported orders, and the open usage period with their total counted (its state to
    match; no usage line per order: the dashboard reads the period's row only)."""
    if not count:
        return
    Order.objects.bulk_create(
        (
            Order(
                shop=shop,
                account=account,
                marketplace=account.marketplace,
                marketplace_order_id=f"O-{n}",
                status=OrderStatus.IMPORTED,
                currency=shop.currency or "EUR",
                total=ORDER_TOTAL,
                usage_recorded=True,
            )
            for n, account in enumerate(islice(cycle(accounts), count))
        ),
        batch_size=BATCH,
    )
    period, used = open_period(shop), ORDER_TOTAL * count
    UsagePeriod.objects.filter(pk=period.pk).update(
        used=used, state=state_for(used, period.gmv_limit)
    )
