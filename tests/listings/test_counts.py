"""ListingCount: the database's triggers keep the counts per shop, marketplace and status equal
to counting the listings, whichever way they are written (save, bulk_create, .update(),
deletes and their cascades), on PostgreSQL and on SQLite alike."""

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Case, Count, QuerySet, Value, When
from django.db.models.functions import Mod
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account, Marketplace
from listings.models import Listing, ListingCount
from salestio.models import Shop
from tests.concurrency import run_at_once
from tests.factories import serial
from tests.listings.factories import make_account

Counts = dict[tuple[int, str, str], int]
STATUSES = list(Listing.Status)


def counted() -> Counts:
    rows = ListingCount.objects.filter(total__gt=0)
    return {(row.shop_id, row.marketplace, row.status): row.total for row in rows}


def listings_counted_now() -> Counts:
    rows = Listing.objects.values("shop_id", "account__marketplace", "status").annotate(
        n=Count("pk")
    )
    return {(row["shop_id"], row["account__marketplace"], row["status"]): row["n"] for row in rows}


def listing(account: Account, status: str = Listing.Status.LIVE) -> Listing:
    return Listing(
        shop_id=account.shop_id,
        account=account,
        remote_key=f"L-{serial()}",
        status=status,
        error_message="refused" if status == Listing.Status.UPDATE_ERROR else "",
    )


@pytest.fixture
def accounts(make_shop: Callable[..., Shop]) -> list[Account]:
    """Two shops, each with an eBay, a second eBay and an Etsy account."""
    shops = [make_shop(), make_shop("shop-b.myshopify.com")]
    marketplaces = [Marketplace.EBAY, Marketplace.EBAY, Marketplace.ETSY]
    return [make_account(shop, marketplace) for shop in shops for marketplace in marketplaces]


def test_saved_and_bulk_created_listings_are_counted(accounts: list[Account]) -> None:
    ebay, _, etsy = accounts[:3]
    listing(ebay).save()
    Listing.objects.bulk_create([listing(ebay), listing(etsy, Listing.Status.PENDING)])

    assert counted() == {
        (ebay.shop_id, "ebay", "live"): 2,
        (ebay.shop_id, "etsy", "pending"): 1,
    }


def test_a_bulk_status_update_moves_the_counts(accounts: list[Account]) -> None:
    ebay = accounts[0]
    Listing.objects.bulk_create([listing(ebay) for _ in range(5)])
    Listing.objects.filter(pk__in=Listing.objects.values("pk")[:3]).update(status="pending")

    assert counted() == {(ebay.shop_id, "ebay", "live"): 2, (ebay.shop_id, "ebay", "pending"): 3}


def test_an_update_of_other_columns_leaves_the_counts(accounts: list[Account]) -> None:
    Listing.objects.bulk_create([listing(accounts[0]) for _ in range(3)])
    before = counted()

    Listing.objects.update(desired_quantity=4, title="Mug")
    Listing.objects.update(status=Listing.Status.LIVE)  # the status it already has

    assert counted() == before


def test_a_listing_moved_to_an_account_on_another_marketplace_moves_its_count(
    accounts: list[Account],
) -> None:
    ebay, _, etsy = accounts[:3]
    moved = listing(ebay)
    moved.save()
    moved.account = etsy
    moved.save()

    assert counted() == {(ebay.shop_id, "etsy", "live"): 1}


def test_an_account_moved_to_another_marketplace_takes_its_counts(
    accounts: list[Account],
) -> None:
    ebay = accounts[0]
    Listing.objects.bulk_create([listing(ebay), listing(ebay, Listing.Status.NOT_ACTIVE)])
    Account.objects.filter(pk=ebay.pk).update(marketplace=Marketplace.AMAZON)

    assert counted() == {
        (ebay.shop_id, "amazon", "live"): 1,
        (ebay.shop_id, "amazon", "not_active"): 1,
    }


def test_deleted_listings_and_accounts_are_no_longer_counted(accounts: list[Account]) -> None:
    ebay, second_ebay, etsy = accounts[:3]
    Listing.objects.bulk_create([listing(account) for account in (ebay, ebay, second_ebay, etsy)])
    Listing.objects.filter(account=ebay).first().delete()  # type: ignore[union-attr]
    etsy.delete()  # its listings cascade

    assert counted() == {(ebay.shop_id, "ebay", "live"): 2}


def test_a_deleted_shop_leaves_no_count_and_the_other_shop_keeps_its_own(
    accounts: list[Account],
) -> None:
    Listing.objects.bulk_create([listing(account) for account in accounts])
    shop_a, shop_b = accounts[0].shop, accounts[3].shop

    shop_a.delete()

    assert not ListingCount.objects.filter(shop_id=shop_a.pk).exists()
    assert counted() == {(shop_b.pk, "ebay", "live"): 2, (shop_b.pk, "etsy", "live"): 1}


def test_a_rolled_back_write_leaves_the_counts_as_they_were(accounts: list[Account]) -> None:
    Listing.objects.bulk_create([listing(accounts[0])])
    with transaction.atomic():
        Listing.objects.update(status=Listing.Status.NOT_ACTIVE)
        transaction.set_rollback(True)

    assert counted() == {(accounts[0].shop_id, "ebay", "live"): 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writers_moving_listings_both_ways_at_once_keep_the_counts_exact(
    accounts: list[Account],
) -> None:
    statuses = [Listing.Status.LIVE, Listing.Status.PENDING]
    Listing.objects.bulk_create(
        listing(account, status) for account in accounts for status in statuses * 10
    )
    writers = count()
    toggled = Case(
        When(status=Listing.Status.LIVE, then=Value(Listing.Status.PENDING)),
        default=Value(Listing.Status.LIVE),
    )

    def toggle_own_listings() -> None:
        # Each writer its own listings (no row lock shared), every count row shared.
        own = Listing.objects.alias(writer=Mod("id", 4)).filter(writer=next(writers))
        for _ in range(25):
            own.update(status=toggled)

    _, errors = run_at_once(toggle_own_listings, threads=4)

    assert errors == []
    assert counted() == listings_counted_now()


# Writes as the app's paths make them, on listings of six accounts in two shops.
statuses = st.sampled_from(STATUSES)
picks = st.lists(st.integers(0, 60), max_size=8)
writes = st.one_of(
    st.tuples(st.just("create"), st.lists(st.tuples(st.integers(0, 5), statuses), max_size=6)),
    st.tuples(st.just("status"), picks, statuses),
    st.tuples(st.just("account"), picks, st.integers(0, 5)),
    st.tuples(st.just("delete"), picks),
    st.tuples(st.just("marketplace"), st.integers(0, 5), st.sampled_from(Marketplace.values)),
    st.tuples(st.just("save"), st.integers(0, 60), statuses),
)


def chosen(picks: list[int]) -> "QuerySet[Listing]":
    pks = list(Listing.objects.order_by("pk").values_list("pk", flat=True))
    return Listing.objects.filter(pk__in=[pks[i % len(pks)] for i in picks] if pks else [])


def write(accounts: list[Account], kind: str, *args: Any) -> None:
    if kind == "create":
        Listing.objects.bulk_create(listing(accounts[i], status) for i, status in args[0])
    elif kind == "status":
        chosen(args[0]).update(status=args[1], error_message="refused")
    elif kind == "account":
        # Within the listing's own shop: an account of the other shop is not its to take.
        for row in chosen(args[0]):
            row.account = accounts[args[1] % 3 + (3 if row.shop_id == accounts[3].shop_id else 0)]
            row.save(update_fields=["account"])
    elif kind == "delete":
        chosen(args[0]).delete()
    elif kind == "marketplace":
        Account.objects.filter(pk=accounts[args[0]].pk).update(marketplace=args[1])
    else:
        for row in chosen([args[0]]):
            row.status, row.error_message = args[1], "refused"
            row.save()


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(writes, min_size=1, max_size=8))
def test_after_any_writes_the_counts_equal_counting_the_listings(
    accounts: list[Account], steps: list[tuple[Any, ...]]
) -> None:
    with transaction.atomic():  # each example starts from the same empty listings
        for step in steps:
            write(accounts, *step)
            assert counted() == listings_counted_now(), step
        transaction.set_rollback(True)
