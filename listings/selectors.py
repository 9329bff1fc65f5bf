"""Reads of the listings app: counters, the filtered page, one listing and its push log."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Q, QuerySet

from accounts.models import Account
from listings.models import InventoryLevel, Listing, ListingPush, ListingSettings
from salestio.models import Shop

# The dashboard's and the page's counters: (key, the statuses counted under it).
COUNTED = {
    "live": (Listing.Status.LIVE,),
    "error": (Listing.Status.UPDATE_ERROR,),
    "pending": (Listing.Status.PENDING,),
    "not_active": (Listing.Status.NOT_ACTIVE,),
}
FILTERS = {status.value for status in Listing.Status}


def _counts() -> dict[str, Any]:
    return {key: Count("pk", filter=Q(status__in=statuses)) for key, statuses in COUNTED.items()}


def counters_by_account(*, shop: Shop) -> list[dict[str, Any]]:
    """One row per account (one query): its marketplace, name and the four counters."""
    rows = (
        Listing.objects.filter(shop=shop)
        .values("account_id", "account__name", "account__marketplace")
        .annotate(**_counts())
        .order_by("account__marketplace", "account__name")
    )
    return [dict(row) for row in rows]


# Each account's listings counted per status first (an index-only scan of listing_counter_idx),
# then the few (account, status) groups summed per marketplace. Composed by the ORM the join
# comes first: every listing joined to its account, three times slower at 10,000 listings
# (bench_dashboard).
COUNTERS_BY_MARKETPLACE_SQL = """
SELECT a.marketplace, {sums}
  FROM (SELECT account_id, status, COUNT(*) AS n FROM {listings}
         WHERE shop_id = %s GROUP BY account_id, status) c
  JOIN {accounts} a ON a.id = c.account_id
 GROUP BY a.marketplace
 ORDER BY a.marketplace
"""


def counters_by_marketplace(*, shop: Shop) -> list[dict[str, Any]]:
    """The dashboard's counters: one row per marketplace, in one query."""
    sums = ", ".join(
        f"SUM(CASE WHEN c.status IN ({', '.join(['%s'] * len(statuses))}) THEN c.n ELSE 0 END)"
        for statuses in COUNTED.values()
    )
    sql = COUNTERS_BY_MARKETPLACE_SQL.format(
        sums=sums, listings=Listing._meta.db_table, accounts=Account._meta.db_table
    )
    params = [status for statuses in COUNTED.values() for status in statuses]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, shop.pk])
        rows = cursor.fetchall()
    return [
        {"account__marketplace": marketplace, **dict(zip(COUNTED, map(int, counts), strict=True))}
        for marketplace, *counts in rows
    ]


@dataclass(frozen=True)
class ListingFilter:
    status: str = ""
    query: str = ""
    account_id: int | None = None
    marketplace: str = ""


def filtered(*, shop: Shop, by: ListingFilter) -> "QuerySet[Listing]":
    rows = Listing.objects.filter(shop=shop).select_related("account")
    if by.status in FILTERS:
        rows = rows.filter(status=by.status)
    if by.account_id:
        rows = rows.filter(account_id=by.account_id)
    if by.marketplace:
        rows = rows.filter(account__marketplace=by.marketplace)
    if by.query:
        rows = rows.filter(
            Q(sku__icontains=by.query)
            | Q(store_sku__icontains=by.query)
            | Q(title__icontains=by.query)
        )
    # Errors first, newest first: what the merchant came for.
    return rows.order_by("-error_at", "account__marketplace", "sku", "pk")


def listing_page(*, shop: Shop, by: ListingFilter, number: Any, per_page: int) -> Page[Listing]:
    """One page: a count and a slice, whatever the number of listings (two queries)."""
    return Paginator(filtered(shop=shop, by=by), per_page).get_page(number)


def listing(*, shop: Shop, listing_id: int) -> Listing:
    return Listing.objects.select_related("account").get(shop=shop, pk=listing_id)


def push_log(*, listing: Listing, limit: int = 50) -> list[ListingPush]:
    return list(listing.pushes.order_by("-at", "-pk")[:limit])


def known_locations(*, shop: Shop) -> list[int]:
    """The shop's Shopify locations as inventory reports and the setting name them."""
    reported = InventoryLevel.objects.filter(shop=shop).values_list("location_id", flat=True)
    chosen = ListingSettings.objects.filter(shop=shop).values_list(
        "counted_location_ids", flat=True
    )
    return sorted(set(reported.distinct()) | {int(i) for ids in chosen for i in ids})


def counted_locations(*, shop: Shop) -> list[int]:
    """The locations counted now: the setting's, or every known one when it names none."""
    found = ListingSettings.objects.filter(shop=shop).first()
    counted = found.counted_location_ids if found else []
    return [int(i) for i in counted] or known_locations(shop=shop)
