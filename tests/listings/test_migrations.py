"""0003 counts the listings already there, and its triggers count the ones written after it;
unapplied, it leaves listings writable without them."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.migrations import back_at, migrate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BEFORE = [("listings", "0002_listing_counter_idx")]
AFTER = [("listings", "0003_listing_count")]


@pytest.fixture
def old_apps() -> Iterator[Any]:
    yield from back_at(BEFORE)


def _listings(apps: Any, statuses: list[str]) -> Any:
    shop = apps.get_model("salestio", "Shop").objects.create(domain="old.myshopify.com")
    account = apps.get_model("accounts", "Account").objects.create(
        shop=shop, marketplace="etsy", name="Etsy"
    )
    listing_model = apps.get_model("listings", "Listing")
    for n, status in enumerate(statuses):
        listing_model.objects.create(shop=shop, account=account, remote_key=f"L-{n}", status=status)
    return listing_model


def test_the_listings_already_there_are_counted_and_later_ones_too(old_apps: Any) -> None:
    _listings(old_apps, ["live", "live", "pending"])

    apps = migrate(AFTER)
    apps.get_model("listings", "Listing").objects.update(status="live")

    counts = apps.get_model("listings", "ListingCount").objects.filter(total__gt=0)
    assert [(c.marketplace, c.status, c.total) for c in counts] == [("etsy", "live", 3)]


def test_unapplied_it_leaves_listings_writable(old_apps: Any) -> None:
    migrate(AFTER)
    migrate(BEFORE)

    listing_model = _listings(old_apps, ["live"])
    listing_model.objects.update(status="pending")
    listing_model.objects.all().delete()
