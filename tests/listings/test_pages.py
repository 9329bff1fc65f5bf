"""The listings page and the dashboard's counters: filters, search, a constant number of
queries whatever the number of listings, and the Update action."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Marketplace
from listings.models import Listing, ListingPush
from tests.factories import serial
from tests.listings.factories import make_account

pytestmark = [pytest.mark.django_db]


def _listings(
    shop: Any, count: int, status: str, marketplace: str = Marketplace.EBAY
) -> list[Listing]:
    account = make_account(shop, marketplace)
    rows = []
    for _ in range(count):
        number = serial()
        rows.append(
            Listing.objects.create(
                shop=shop,
                account=account,
                remote_key=str(number),
                sku=f"SKU-{number}",
                title=f"Teapot {number}",
                status=status,
                error_message="Quantity is not valid."
                if status == Listing.Status.UPDATE_ERROR
                else "",
            )
        )
    return rows


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_filter_by_status_shows_only_those_with_their_error_text(
    shop: Any, shop_client: Callable[..., Any]
) -> None:
    _listings(shop, 2, Listing.Status.LIVE)
    (broken,) = _listings(shop, 1, Listing.Status.UPDATE_ERROR)

    page = shop_client(shop).get("/listings/?status=update_error").content.decode()

    assert f'data-listing="{broken.pk}"' in page
    assert "Quantity is not valid." in page
    assert page.count("data-listing=") == 1


def test_search_finds_by_sku_and_by_title(shop: Any, shop_client: Callable[..., Any]) -> None:
    first, second = _listings(shop, 2, Listing.Status.LIVE)
    client = shop_client(shop)

    assert f'data-listing="{first.pk}"' in client.get(f"/listings/?q={first.sku}").content.decode()
    by_title = client.get(f"/listings/?q={second.title}").content.decode()
    assert (
        f'data-listing="{second.pk}"' in by_title and f'data-listing="{first.pk}"' not in by_title
    )


def test_the_page_and_the_dashboard_take_as_many_queries_for_many_listings_as_for_few(
    shop: Any, shop_client: Callable[..., Any], settings: Any
) -> None:
    settings.LISTINGS_PER_PAGE = 10
    client = shop_client(shop)
    _listings(shop, 3, Listing.Status.LIVE)
    few = (
        _queries(client, "/listings/"),
        _queries(client, "/listings/?page=2"),
        _queries(client, "/"),
    )
    _listings(shop, 40, Listing.Status.PENDING, Marketplace.ETSY)
    _listings(shop, 5, Listing.Status.UPDATE_ERROR, Marketplace.AMAZON)

    many = (
        _queries(client, "/listings/"),
        _queries(client, "/listings/?page=2"),
        _queries(client, "/"),
    )

    assert many == few


def test_counters_per_account_and_per_marketplace_match(
    shop: Any, shop_client: Callable[..., Any]
) -> None:
    _listings(shop, 3, Listing.Status.LIVE)
    _listings(shop, 2, Listing.Status.UPDATE_ERROR)
    _listings(shop, 1, Listing.Status.NOT_ACTIVE, Marketplace.ETSY)
    client = shop_client(shop)

    dashboard = client.get("/").content.decode()

    assert 'href="/listings/?marketplace=ebay&amp;status=live">3<' in dashboard
    assert 'href="/listings/?marketplace=ebay&amp;status=update_error">2<' in dashboard
    assert 'href="/listings/?marketplace=etsy&amp;status=not_active">1<' in dashboard


def test_update_on_a_selection_makes_them_due_now_and_logs_it(
    shop: Any, shop_client: Callable[..., Any]
) -> None:
    broken = _listings(shop, 2, Listing.Status.UPDATE_ERROR)
    other_shop_listing = _listings(
        shop.__class__.objects.create(domain="other.myshopify.com"), 1, Listing.Status.UPDATE_ERROR
    )[0]

    response = shop_client(shop).post(
        "/listings/update/", {"listing": [broken[0].pk, broken[1].pk, other_shop_listing.pk]}
    )

    assert response.status_code == 302
    assert set(Listing.objects.filter(shop=shop).values_list("status", flat=True)) <= {
        Listing.Status.PENDING,
        Listing.Status.LIVE,
        Listing.Status.UPDATE_ERROR,
    }
    assert ListingPush.objects.filter(outcome=ListingPush.Outcome.REQUESTED).count() == 2
    other_shop_listing.refresh_from_db()
    assert other_shop_listing.status == Listing.Status.UPDATE_ERROR


def test_the_detail_page_shows_the_push_log(shop: Any, shop_client: Callable[..., Any]) -> None:
    (listing,) = _listings(shop, 1, Listing.Status.UPDATE_ERROR)
    ListingPush.objects.create(
        listing=listing, quantity=0, outcome=ListingPush.Outcome.ERROR, message="refused: 515"
    )

    page = shop_client(shop).get(f"/listings/{listing.pk}/").content.decode()

    assert "refused: 515" in page and 'data-outcome="error"' in page
