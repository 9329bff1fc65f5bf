"""The dashboard's cost in queries does not grow with the shop's accounts, notifications,
banners, SKU mappings, listings or orders (issue 12; bench_dashboard measures its time)."""

import re
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.shop_data import populate
from notifications.models import Banner
from salestio import services
from salestio.models import Shop


def shown(response: Any) -> str:
    """The page as the merchant sees it, without its per-request CSRF token."""
    assert response.status_code == 200
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


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
    for first in (small, busy, small):  # first-request lookups and statements prepared;
        dashboard_queries(shop_client(first))  # each shop's id is then known

    # One statement: the shop with the banners and their accounts' states, the settings,
    # problems, usage period and listing counts (page_reads, salestio.db.read_along).
    assert dashboard_queries(shop_client(busy)) == dashboard_queries(shop_client(small)) == 1


def test_a_shops_first_page_reads_the_shop_apart_and_the_next_page_the_same_in_one_statement(
    shop: Shop, shop_client: Callable[[Shop], Any]
) -> None:
    populate(shop, accounts=3, notifications=3, listings=3, orders=3)
    client = shop_client(shop)
    client.get("/")  # the statements prepared on this connection (PostgreSQL)
    services._KNOWN_IDS.clear()  # as in a process that has not served the shop yet

    with CaptureQueriesContext(connection) as first:
        first_page = client.get("/")
    with CaptureQueriesContext(connection) as next_one:
        next_page = client.get("/")

    assert (len(first), len(next_one)) == (2, 1)
    assert shown(first_page) == shown(next_page)
    assert "account 2" in shown(next_page)  # a banner's account, read ahead


def test_a_wrong_known_id_reads_the_shop_by_its_domain_and_shows_none_of_another_shops_rows(
    make_shop: Callable[..., Shop], shop_client: Callable[[Shop], Any]
) -> None:
    alpha, bravo = make_shop("alpha.myshopify.com"), make_shop("bravo.myshopify.com")
    for each in (alpha, bravo):
        populate(each, accounts=1, notifications=1, orders=1)
        Banner.objects.filter(shop=each).update(context={"account_name": f"Of {each.name}"})
    for _ in range(2):  # the statements prepared (PostgreSQL)
        shown(shop_client(bravo).get("/"))
    services._KNOWN_IDS[alpha.domain] = bravo.pk  # a hint gone wrong

    with CaptureQueriesContext(connection) as captured:
        page = shown(shop_client(alpha).get("/"))

    assert "Of Alpha" in page and "Alpha" in page
    assert "Bravo" not in page
    # The hint's statement, which finds no shop, then the shop by its domain and the page.
    assert len(captured) == 3
    assert dashboard_queries(shop_client(alpha)) == 1  # and the right id is known


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

    assert dashboard_queries(shop_client(new)) == 2  # its plan
