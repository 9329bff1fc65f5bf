"""The dashboard's cost in queries does not grow with the shop's accounts, notifications,
banners or SKU mappings (issue 12; bench_dashboard measures its time)."""

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from notifications.models import Banner, BannerKind, Category, Notification
from orders.models import SkuMapping
from salestio.crypto import encrypt
from salestio.models import Shop


def populate(shop: Shop, *, accounts: int, notifications: int) -> None:
    """Rows as a busy shop has them: accounts (each with its expired banner), notifications
    of every category, a SKU mapping per account."""
    secret = encrypt("refresh-token")
    created = Account.objects.bulk_create(
        Account(
            shop=shop,
            marketplace="ebay",
            name=f"account {n}",
            external_id=f"seller-{shop.pk}-{n}",
            status=Account.Status.ACTIVE,
            refresh_token=secret,
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
        SkuMapping(shop=shop, marketplace_sku=f"M-{n}", store_sku=f"S-{n}")
        for n in range(accounts)
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


def dashboard_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


def test_the_dashboard_costs_the_same_queries_for_a_small_and_a_busy_shop(
    make_shop: Callable[..., Shop], shop_client: Callable[[Shop], Any]
) -> None:
    small, busy = make_shop("small.myshopify.com"), make_shop("busy.myshopify.com")
    populate(small, accounts=1, notifications=1)
    populate(busy, accounts=1000, notifications=10_000)
    dashboard_queries(shop_client(small))  # warm-up: first-request lookups (content types, …)

    assert dashboard_queries(shop_client(busy)) == dashboard_queries(shop_client(small))
    assert dashboard_queries(shop_client(busy)) <= 8


def test_a_shop_with_a_thousand_banners_sees_the_newest_and_where_the_others_are(
    make_shop: Callable[..., Shop], shop_client: Callable[[Shop], Any], settings: Any
) -> None:
    settings.DASHBOARD_BANNERS = 10
    busy = make_shop("busy.myshopify.com", locale="de")
    populate(busy, accounts=1000, notifications=1)
    newest = Banner.objects.filter(shop=busy).order_by("-raised_at", "-pk").first()
    assert newest is not None
    Banner.objects.filter(pk=newest.pk).update(context={"account_name": "Newest account"})

    page = shop_client(busy).get("/").content.decode()

    assert page.count("data-banner-tone=") == 10
    assert "Newest account" in page
    assert "Hier werden nur die neuesten 10 Meldungen angezeigt." in page
    assert 'href="/accounts/"' in page
