"""Writes of the listings app: desired state in, coalesced pushes out, Update Error, Update.

Changes only ever set the desired state and a due time (`push_due_at`, kept at its earliest
value so a steady stream of changes cannot postpone a push forever). A push claims the due
listings of one account, sends their latest desired values in as few calls as the
marketplace allows, and records the outcome per listing.
"""

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from accounts.credentials import call_marketplace
from accounts.marketplaces import (
    RETRYABLE,
    ConnectionExpired,
    ListingResult,
    ListingUpdate,
    MarketplaceError,
)
from accounts.models import Account
from billing.limits import exports_paused
from listings.models import InventoryLevel, Listing, ListingPush, ListingSettings
from notifications.models import Category
from notifications.services import Incident, close_incident, notify_many
from salestio.models import Shop

log = logging.getLogger(__name__)

# A listing whose pushed values differ from the desired ones (a never-pushed one always does).
DIFFERS = (
    Q(pushed_quantity__isnull=True, desired_quantity__isnull=False)
    | ~Q(desired_quantity=F("pushed_quantity"))
    | (
        Q(desired_price__isnull=False)
        & (Q(pushed_price__isnull=True) | ~Q(desired_price=F("pushed_price")))
    )
)


# --- Desired state in -------------------------------------------------------------------------


def listing_settings(shop: Shop) -> ListingSettings:
    found, _ = ListingSettings.objects.get_or_create(shop=shop)
    return found


def set_counted_locations(*, shop: Shop, location_ids: Sequence[int]) -> None:
    """Which locations count toward the quantity (empty: all); every listing follows."""
    ListingSettings.objects.update_or_create(
        shop=shop, defaults={"counted_location_ids": sorted(set(location_ids))}
    )
    items = Listing.objects.filter(shop=shop, inventory_item_id__isnull=False)
    item_ids = {item for item in items.values_list("inventory_item_id", flat=True) if item}
    refresh_quantities(shop=shop, inventory_item_ids=item_ids)


def record_inventory_levels(*, shop: Shop, levels: Iterable[tuple[int, int, int]]) -> None:
    """Store Shopify's available quantities, (inventory item, location, available) each, and
    recompute the desired quantity of every listing they feed."""
    rows = [
        InventoryLevel(shop=shop, inventory_item_id=item, location_id=location, available=available)
        for item, location, available in levels
    ]
    InventoryLevel.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["shop", "inventory_item_id", "location_id"],
        update_fields=["available", "updated_at"],
    )
    refresh_quantities(shop=shop, inventory_item_ids={row.inventory_item_id for row in rows})


def refresh_quantities(*, shop: Shop, inventory_item_ids: Iterable[int]) -> None:
    counted = listing_settings(shop).counted_location_ids
    levels = InventoryLevel.objects.filter(
        shop=shop, inventory_item_id__in=list(inventory_item_ids)
    )
    if counted:
        levels = levels.filter(location_id__in=counted)
    totals = levels.values("inventory_item_id").annotate(total=Sum("available"))
    for row in totals:
        set_desired(
            listings=Listing.objects.filter(shop=shop, inventory_item_id=row["inventory_item_id"]),
            quantity=max(int(row["total"] or 0), 0),
        )


def set_desired(
    *, listings: "QuerySet[Listing]", quantity: int | None = None, price: Decimal | None = None
) -> int:
    """Record the desired values; synced listings whose values differ become due.

    Listings in Update Error keep the new values without being pushed: the merchant's
    Update sends them (the seed).
    """
    values: dict[str, int | Decimal] = {}
    if quantity is not None:
        values["desired_quantity"] = quantity
    values.update({"desired_price": price} if price is not None else {})
    if not values:
        return 0
    listings.update(**values)
    due_at = timezone.now() + settings.LISTING_PUSH_DEBOUNCE
    changed = listings.filter(DIFFERS, status__in=Listing.SYNCED)
    accounts = set(changed.values_list("account_id", flat=True))
    count = changed.update(
        status=Listing.Status.PENDING, push_due_at=Coalesce(F("push_due_at"), Value(due_at))
    )
    for account_id in accounts:
        schedule_push(account_id)
    return count


def schedule_push(account_id: int, *, delay: timedelta | None = None) -> None:
    """Enqueue one push for the account after the debounce, however many changes ask."""
    from listings.tasks import push_account

    wait = delay if delay is not None else settings.LISTING_PUSH_DEBOUNCE
    # One task per account and debounce window; the beat sweep catches anything this misses.
    if cache.add(f"listings:push-scheduled:{account_id}", 1, timeout=max(wait.total_seconds(), 1)):
        transaction.on_commit(
            lambda: push_account.apply_async((account_id,), countdown=wait.total_seconds())
        )


# --- Pushes out -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    listing: Listing
    quantity: int | None
    price: Decimal | None


# Due: a change is waiting to go out, or the push that took it was lost (its lease ended).
def _due(now: datetime) -> Q:
    return Q(status__in=Listing.SYNCED) & (Q(push_due_at__lte=now) | Q(push_claimed_until__lte=now))


def claim_due(*, account: Account, now: datetime, limit: int) -> list[Claimed]:
    """Take the account's due listings with the values to send; a concurrent claimer skips
    the locked rows, and a change arriving during the push makes the row due again. The claim
    is a lease: if the push never records an outcome, the listings are due again after it."""
    due = Listing.objects.select_for_update(skip_locked=True).filter(_due(now), account=account)
    with transaction.atomic():
        # By item: an Etsy listing's products go out together in one inventory write.
        rows = list(due.order_by("item_id", "pk")[:limit])
        if len(rows) == limit and rows[-1].item_id:
            rows += list(due.filter(item_id=rows[-1].item_id, pk__gt=rows[-1].pk).order_by("pk"))
        Listing.objects.filter(pk__in=[row.pk for row in rows]).update(
            push_due_at=None, push_claimed_until=now + settings.LISTING_PUSH_LEASE
        )
    return [Claimed(row, row.desired_quantity, _price_to_send(row)) for row in rows]


def _price_to_send(listing: Listing) -> Decimal | None:
    """The desired price when it differs from the last pushed one; else None, so the push
    carries the quantity alone (Amazon's patch then leaves the offer untouched)."""
    if listing.desired_price is None or listing.desired_price == listing.pushed_price:
        return None
    return listing.desired_price


def push_account(*, account: Account, now: datetime | None = None) -> int:
    """Push the account's due listings; returns how many were sent. Hands back the rest."""
    now = now or timezone.now()
    if (
        account.status not in Account.CONNECTED
        or account.sync_paused_at
        or exports_paused(account.shop)
    ):
        return 0
    claimed = claim_due(account=account, now=now, limit=settings.LISTING_PUSH_BATCH)
    if not claimed:
        return 0
    results = _send(account, claimed)
    if results is None:
        _hand_back(claimed, now)
        return 0
    sent = record_results(account=account, claimed=claimed, results=results)
    if len(claimed) >= settings.LISTING_PUSH_BATCH:
        schedule_push(account.pk, delay=timedelta(0))
    return sent


def _update_of(claim: Claimed) -> ListingUpdate:
    listing = claim.listing
    return ListingUpdate(
        sku=listing.sku,
        quantity=claim.quantity if claim.quantity is not None else 0,
        listing_id=listing.item_id,
        price=claim.price,
        product_type=listing.product_type or "PRODUCT",
        currency=listing.currency,
    )


def _send(account: Account, claimed: list[Claimed]) -> list[ListingResult] | None:
    """Per-listing results, or None when the connection itself is gone."""
    updates = [_update_of(claim) for claim in claimed]
    try:
        return call_marketplace(account, lambda adapter: adapter.update_listings(updates))
    except ConnectionExpired:
        return None
    except MarketplaceError as exc:
        return [ListingResult(update, exc) for update in updates]


def _hand_back(claimed: list[Claimed], now: datetime) -> None:
    """The account check owns expiry (banner, email, pause); the listings wait for the
    reconnect with their desired values, no attempt spent and no Update Error."""
    Listing.objects.filter(pk__in=[claim.listing.pk for claim in claimed]).update(
        push_due_at=Coalesce(F("push_due_at"), Value(now + settings.LISTING_PUSH_DEBOUNCE)),
        push_claimed_until=None,
    )


def record_results(
    *, account: Account, claimed: list[Claimed], results: list[ListingResult]
) -> int:
    """Write each listing's outcome and its log line; failures of the run notify once."""
    now = timezone.now()
    incidents: list[Incident] = []
    sent = 0
    for claim, result in zip(claimed, results, strict=True):
        if result.error is None:
            _record_sent(claim, now)
            sent += 1
        elif (
            isinstance(result.error, RETRYABLE)
            and claim.listing.attempts + 1 < settings.LISTING_PUSH_MAX_ATTEMPTS
        ):
            _record_retry(claim, result.error, now)
        else:
            incidents.append(_record_error(account, claim, result.error, now))
    if incidents:
        notify_many(incidents)
    return sent


def _log(claim: Claimed, outcome: str, message: str = "") -> None:
    ListingPush.objects.create(
        listing=claim.listing,
        quantity=claim.quantity,
        price=claim.price,
        outcome=outcome,
        message=message,
    )


def _record_sent(claim: Claimed, now: datetime) -> None:
    listing = claim.listing
    Listing.objects.filter(pk=listing.pk).update(
        pushed_quantity=claim.quantity,
        pushed_price=claim.price if claim.price is not None else F("pushed_price"),
        pushed_at=now,
        attempts=0,
        error_message="",
        error_at=None,
        push_claimed_until=None,
    )
    # Still pending if a newer change arrived while this push was on its way.
    Listing.objects.filter(pk=listing.pk, push_due_at__isnull=True).update(
        status=Listing.Status.LIVE
    )
    _log(claim, ListingPush.Outcome.SENT)
    if listing.status == Listing.Status.UPDATE_ERROR or listing.error_at:
        close_incident(
            shop=listing.shop, category=Category.LISTING_UPDATE_FAILED, key=incident_key(listing)
        )


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff with full jitter: a random wait below base·2^attempt, capped."""
    bound = min(settings.LISTING_RETRY_BACKOFF_MAX_S, settings.LISTING_RETRY_BACKOFF_S * 2**attempt)
    return timedelta(seconds=random.uniform(bound / 2, bound))


def _record_retry(claim: Claimed, error: MarketplaceError, now: datetime) -> None:
    listing = claim.listing
    delay = retry_delay(listing.attempts)
    Listing.objects.filter(pk=listing.pk).update(
        attempts=F("attempts") + 1,
        push_due_at=Least(Coalesce(F("push_due_at"), Value(now + delay)), Value(now + delay)),
        push_claimed_until=None,
    )
    _log(claim, ListingPush.Outcome.RETRY, str(error))
    schedule_push(listing.account_id, delay=delay)


def _record_error(
    account: Account, claim: Claimed, error: MarketplaceError, now: datetime
) -> Incident:
    listing = claim.listing
    message = str(error)[:2000] or type(error).__name__
    Listing.objects.filter(pk=listing.pk).update(
        status=Listing.Status.UPDATE_ERROR,
        error_message=message,
        error_at=now,
        attempts=0,
        push_due_at=None,
        push_claimed_until=None,
    )
    _log(claim, ListingPush.Outcome.ERROR, message)
    return Incident(
        shop=listing.shop,
        category=Category.LISTING_UPDATE_FAILED,
        key=incident_key(listing),
        context={
            "sku": listing.sku or listing.remote_key,
            "marketplace": account.display_name,
            "account_name": account.name,
            "error": message,
            "action_url": listing_path(listing),
        },
    )


def incident_key(listing: Listing) -> str:
    return f"listing:{listing.pk}"


def listing_path(listing: Listing) -> str:
    from django.urls import reverse

    return reverse("listings:detail", args=[listing.pk])


# --- The merchant's Update --------------------------------------------------------------------


def request_update(*, shop: Shop, listing_ids: Sequence[int]) -> int:
    """Update pressed on one listing or a selection: push the latest desired values now,
    whatever the status said (Update Error included)."""
    listings = Listing.objects.filter(shop=shop, pk__in=listing_ids).exclude(
        status__in=(Listing.Status.NOT_LINKED, Listing.Status.NOT_ACTIVE)
    )
    rows = list(listings.only("pk", "account_id", "desired_quantity", "desired_price"))
    now = timezone.now()
    listings.update(status=Listing.Status.PENDING, push_due_at=now, attempts=0)
    ListingPush.objects.bulk_create(
        ListingPush(
            listing=row,
            quantity=row.desired_quantity,
            price=row.desired_price,
            outcome=ListingPush.Outcome.REQUESTED,
        )
        for row in rows
    )
    for account_id in {row.account_id for row in rows}:
        cache.delete(f"listings:push-scheduled:{account_id}")
        schedule_push(account_id, delay=timedelta(0))
    return len(rows)


def resume_shop(*, shop: Shop) -> int:
    """The plan limit was lifted: every listing still differing goes out once, latest values."""
    now = timezone.now()
    due = Listing.objects.filter(shop=shop, status__in=Listing.SYNCED).filter(DIFFERS)
    accounts = set(due.values_list("account_id", flat=True))
    count = due.update(
        status=Listing.Status.PENDING, push_due_at=Coalesce(F("push_due_at"), Value(now))
    )
    for account_id in accounts:
        schedule_push(account_id, delay=timedelta(0))
    return count


def fan_out_due(*, now: datetime, enqueue: Callable[[int], object]) -> int:
    """Beat: one push task per account with due listings (the safety net under schedule_push)."""
    account_ids = Listing.objects.filter(_due(now)).values_list("account_id", flat=True).distinct()
    count = 0
    for account_id in account_ids:
        enqueue(account_id)
        count += 1
    return count
