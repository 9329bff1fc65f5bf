"""Reads of the listings app: counters, the filtered page, one listing and its push log."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from listings.models import InventoryLevel, Listing, ListingCount, ListingPush, ListingSettings
from salestio.db import Read
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


def _sum_of(statuses: tuple[str, ...]) -> str:
    """SQL summing the counts of `statuses` (the model's own constants, written in)."""
    if not all(status.isidentifier() for status in statuses):
        raise ValueError(f"not a status to write into SQL: {statuses}")
    listed = ", ".join(f"'{status}'" for status in statuses)
    return f"COALESCE(SUM(total) FILTER (WHERE status IN ({listed})), 0)"


# A dashboard read, written out (docs/architecture.md, "The dashboard's reads"): a row per
# marketplace, its counters summed by the database from the counts it keeps; listing_count_once
# serves it. A read names a primary key: MIN(id) stands for the marketplace's rows (the
# instances' status and total are not read).
COUNT_COLUMNS = ("id", "marketplace", *COUNTED)
COUNTS_SQL = f"""
SELECT MIN(id) AS id, marketplace,
       {", ".join(f"{_sum_of(statuses)} AS {key}" for key, statuses in COUNTED.items())}
  FROM {ListingCount._meta.db_table}
 WHERE shop_id = %s AND total > 0
 GROUP BY marketplace
"""


def counters_by_marketplace_read(*, shop: Shop) -> Read[ListingCount, list[dict[str, Any]]]:
    """The dashboard's counters: one row per marketplace the shop has listings on, read from
    the counts the database keeps (ListingCount), whatever the number of listings."""
    return Read(ListingCount, COUNTS_SQL, [shop.pk], _by_marketplace, COUNT_COLUMNS)


def _by_marketplace(counts: list[ListingCount]) -> list[dict[str, Any]]:
    return [
        {"marketplace": count.marketplace, **{key: getattr(count, key) for key in COUNTED}}
        for count in sorted(counts, key=lambda count: count.marketplace)
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
