"""The dashboard's cost in queries does not grow with the shop's accounts, notifications,
banners, SKU mappings, listings or orders (issue 12; bench_dashboard measures its time)."""

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.shop_data import populate
from notifications.models import Banner
from salestio.models import Shop


def dashboard_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


def test_the_dashboard_costs_the_same_queries_for_a_small_and_a_busy_shop(
    make_shop: Callable[..., Shop], shop_client: Callable[[Shop], Any]
) -> None:
    small, busy = make_shop("small.myshopify.com"), make_shop("busy.myshopify.com")
    populate(small, accounts=1, notifications=1, listings=1, orders=1)
    populate(busy, accounts=10_000, notifications=10_000, listings=10_000, orders=10_000)
    dashboard_queries(shop_client(small))  # warm-up: first-request lookups (content types, …)

    assert dashboard_queries(shop_client(busy)) == dashboard_queries(shop_client(small))
    # The shop; one read of the banners and their accounts' states, the settings, problems,
    # usage period and listing counts (salestio.db.read_together).
    assert dashboard_queries(shop_client(busy)) == 2


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


def test_a_shop_before_its_first_order_costs_at_most_one_query_more_for_its_plan(
    make_shop: Callable[..., Shop], shop_client: Callable[[Shop], Any]
) -> None:
    new = make_shop("new.myshopify.com")
    populate(new, accounts=1, notifications=1, listings=1)  # no order: no usage period yet
    dashboard_queries(shop_client(new))  # warm-up

    assert dashboard_queries(shop_client(new)) == 3  # its plan
