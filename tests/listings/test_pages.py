"""The listings page and the dashboard's counters: filters, search, a constant number of
queries whatever the number of listings, and the Update action."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Marketplace
from listings import services
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
    # The marketplace's own spelling, on the dashboard and on the listings page.
    assert "<td>eBay</td>" in dashboard and "Ebay" not in dashboard
    assert "(eBay)" in client.get("/listings/").content.decode()


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


def _stock_at_two_locations(shop: Any) -> Listing:
    """A linked, live listing whose item is stocked 3 at location 11 and 5 at location 22."""
    (listing,) = _listings(shop, 1, Listing.Status.LIVE)
    listing.inventory_item_id = serial()
    listing.pushed_quantity = 8
    listing.save()
    services.record_inventory_levels(
        shop=shop,
        levels=[(listing.inventory_item_id, 11, 3), (listing.inventory_item_id, 22, 5)],
    )
    listing.refresh_from_db()
    assert listing.desired_quantity == 8  # the default: every location counts
    return listing


def _checked(page: str) -> list[str]:
    boxes = re.findall(r'<input type="checkbox" name="locations"[^>]*>', page)
    return [re.search(r'value="(\d+)"', box)[1] for box in boxes if " checked" in box]  # type: ignore[index]


def test_counted_locations_page_lists_the_known_locations_all_checked_by_default(
    shop: Any, shop_client: Callable[..., Any]
) -> None:
    _stock_at_two_locations(shop)

    page = shop_client(shop).get("/listings/locations/").content.decode()

    assert page.count('type="checkbox" name="locations"') == 2
    assert _checked(page) == ["11", "22"]


def test_saving_counted_locations_recomputes_the_quantity_and_schedules_the_push(
    shop: Any, shop_client: Callable[..., Any]
) -> None:
    listing = _stock_at_two_locations(shop)
    client = shop_client(shop)

    response = client.post("/listings/locations/", {"locations": ["22"]})

    assert response.status_code == 302 and response["Location"] == "/listings/locations/"
    assert services.listing_settings(shop).counted_location_ids == [22]
    listing.refresh_from_db()
    assert (listing.desired_quantity, listing.status) == (5, Listing.Status.PENDING)
    page = client.get("/listings/locations/").content.decode()
    assert "Locations saved." in page and _checked(page) == ["22"]

    client.post("/listings/locations/", {"locations": ["11", "22"]})
    assert services.listing_settings(shop).counted_location_ids == []  # all, later ones too
    listing.refresh_from_db()
    assert listing.desired_quantity == 8


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({}, "Choose at least one location."),
        ({"locations": ["99"]}, "Select a valid choice."),
        ({"locations": ["eleven"]}, "Select a valid choice."),
    ],
)
def test_invalid_counted_locations_re_render_with_a_message_and_change_nothing(
    shop: Any, shop_client: Callable[..., Any], posted: dict[str, Any], message: str
) -> None:
    listing = _stock_at_two_locations(shop)
    services.set_counted_locations(shop=shop, location_ids=[11])

    response = shop_client(shop).post("/listings/locations/", posted)

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert services.listing_settings(shop).counted_location_ids == [11]
    listing.refresh_from_db()
    assert listing.desired_quantity == 3


def test_a_german_shop_reads_the_counted_locations_page_in_german(
    make_shop: Callable[..., Any], shop_client: Callable[..., Any]
) -> None:
    shop = make_shop(locale="de")
    _stock_at_two_locations(shop)
    client = shop_client(shop)

    assert "Standort 11" in client.get("/listings/locations/").content.decode()
    invalid = client.post("/listings/locations/", {}).content.decode()
    assert "Wählen Sie mindestens einen Standort." in invalid
