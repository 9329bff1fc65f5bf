"""Order import, export to Shopify, retries and SKU mappings: every write of the orders app.

Exactly once: one Order row per (account, marketplace order id) by a unique constraint; one
Shopify order per row because an export holds the row's lock and commits a marker before
orderCreate, and an attempt that finds a marker first asks Shopify for an order with the row's
source identifier, so a worker that died between Shopify's answer and our commit is repaired
by the next attempt instead of duplicated.
"""

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.marketplaces import (
    ADAPTERS,
    RETRYABLE,
    ConnectionExpired,
    MarketplaceError,
    RemoteOrder,
    Throttled,
)
from accounts.marketplaces.amazon import AmazonAdapter
from accounts.models import Account
from accounts.services import call_marketplace
from billing import limits
from billing.rates import RateUnavailable
from notifications.models import Category
from notifications.services import Incident, close_incident, notify_many
from orders import shopify
from orders.models import Order, OrderItem, OrderLogLine, OrderStatus, SkuMapping
from orders.normalize import NORMALIZERS, NormalizedOrder, amazon_order
from orders.selectors import sku_mapping
from salestio.models import Shop
from salestio.services import admin_client
from salestio.shopify_api import (
    AdminGraphQL,
    ShopifyError,
    ShopifyGraphQLError,
    ShopifyShopUnavailable,
    ShopifyUserErrors,
)

log = logging.getLogger(__name__)

# The first import of an account looks this far back; later ones start at the cursor.
INITIAL_LOOKBACK = timedelta(days=7)
# Marketplaces stamp changes by the second and list "after" a moment; re-reading a little
# before the cursor costs nothing (rows are unique) and loses nothing.
CURSOR_OVERLAP = timedelta(minutes=1)
EXPORTABLE = (OrderStatus.PENDING, OrderStatus.FAILED)
THROTTLE_WAITS = 4
THROTTLE_FIRST_WAIT = 0.5
T = TypeVar("T")


@dataclass
class ImportRun:
    """What one run of the import job did, for its one notify_many call."""

    stored: list[int] = field(default_factory=list)
    failed: list[Order] = field(default_factory=list)

    def notify(self) -> None:
        notify_many([failure_incident(order) for order in self.failed])

    def export(self, order_id: int, clients: "ShopClients") -> None:
        failed = export_order(order_id=order_id, clients=clients)
        if failed is not None:
            self.failed.append(failed)


def failure_incident(order: Order) -> Incident:
    return Incident(
        shop=order.shop,
        category=Category.ORDER_IMPORT_FAILED,
        key=f"order:{order.pk}",
        context={
            "order_id": order.marketplace_order_id,
            "marketplace": ADAPTERS[order.marketplace].display_name,
            "error": order.error,
        },
    )


def add_log(order: Order, message: str) -> None:
    OrderLogLine.objects.create(order=order, message=message)


# --- Import -----------------------------------------------------------------------------------


def import_account(*, account: Account) -> ImportRun:
    """Fetch what changed since the cursor, store it, export what is pending.

    Throttling and outages raise (the task retries with backoff); the cursor has by then
    advanced past exactly the orders that were stored.
    """
    run = ImportRun()
    since = (account.sync_cursor or timezone.now() - INITIAL_LOOKBACK) - CURSOR_OVERLAP
    remotes = _waiting_out_throttling(
        lambda: call_marketplace(account, lambda adapter: adapter.fetch_orders(since))
    )
    clients = ShopClients()
    shopify_failing = False
    try:
        for remote in sorted(remotes, key=lambda r: r.updated_at):
            order = store_remote_order(account=account, remote=remote)
            run.stored.append(order.pk)
            if order.status == OrderStatus.FAILED:
                run.failed.append(order)
            advance_cursor(account=account, to=remote.updated_at)
            # Exported as soon as stored: Shopify's bucket refills while the next order is
            # stored. While Shopify fails, the rest is stored first; export_pending then
            # meets the failure again and raises it for the task's backoff.
            if (
                not shopify_failing
                and order.status == OrderStatus.PENDING
                and not order.held_for_limit
            ):
                try:
                    run.export(order.pk, clients)
                except ShopifyError:
                    shopify_failing = True
        export_pending(account=account, run=run, clients=clients)
    finally:
        run.notify()
    return run


def advance_cursor(*, account: Account, to: Any) -> None:
    """Move the cursor forward only: a slower concurrent run cannot move it back."""
    Account.objects.filter(pk=account.pk).update(
        sync_cursor=Greatest(Coalesce(F("sync_cursor"), to), to)
    )


def store_remote_order(*, account: Account, remote: RemoteOrder) -> Order:
    """The local row for a marketplace order; created once, later sightings update status."""
    existing = Order.objects.filter(account=account, marketplace_order_id=remote.order_id)
    if order := existing.first():
        if order.marketplace_status != remote.status:
            existing.update(
                marketplace_status=remote.status, marketplace_updated_at=remote.updated_at
            )
        return order
    try:
        normalized = normalize(account, remote)
    except RETRYABLE:
        raise
    except ConnectionExpired:
        raise
    except MarketplaceError as exc:
        # e.g. Amazon's 403 on this order's items: that order fails, the account does not.
        return _store_unreadable(account, remote, str(exc))
    return store_order(account=account, normalized=normalized)


def normalize(account: Account, remote: RemoteOrder) -> NormalizedOrder:
    if account.marketplace == AmazonAdapter.marketplace:
        items = _waiting_out_throttling(
            lambda: call_marketplace(
                account,
                lambda adapter: adapter.fetch_order_items(remote.order_id),  # type: ignore[attr-defined]
            )
        )
        return amazon_order(remote, items)
    return NORMALIZERS[account.marketplace](remote)


def _waiting_out_throttling(call: Callable[[], T]) -> T:
    """A marketplace's 429 is waited out here, doubling from half a second, before the task's
    own backoff takes over. Amazon's getOrders and getOrderItems restore 0.0167 and 0.5
    requests/s (x-amzn-RateLimit-Limit, https://developer-docs.amazon.com/sp-api/docs/
    orders-api-v0-reference), so a short burst of calls meets a 429 that passes in seconds."""
    for attempt in range(THROTTLE_WAITS):
        try:
            return call()
        except Throttled:
            time.sleep(THROTTLE_FIRST_WAIT * 2**attempt * random.uniform(0.8, 1.2))
    return call()


def _claim_row(account: Account, order_id: str, **fields: Any) -> tuple[Order, bool]:
    """The one row of (account, marketplace order id): created now (True) or already there;
    the unique constraint settles a race between two runs."""
    defaults = {"shop_id": account.shop_id, "marketplace": account.marketplace, **fields}
    return Order.objects.get_or_create(
        account=account, marketplace_order_id=order_id, defaults=defaults
    )


@transaction.atomic
def store_order(*, account: Account, normalized: NormalizedOrder) -> Order:
    order, created = _claim_row(
        account,
        normalized.order_id,
        marketplace_status=normalized.status,
        currency=normalized.currency,
        total=normalized.total,
        buyer_name=normalized.buyer_name[:200],
        details=normalized.details(),
        ordered_at=normalized.ordered_at,
        marketplace_updated_at=normalized.updated_at,
    )
    if not created:
        return order
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            line_id=line.line_id,
            marketplace_sku=line.sku,
            title=line.title[:300],
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax=line.tax,
        )
        for line in normalized.lines
    )
    add_log(order, f"Fetched from {ADAPTERS[account.marketplace].display_name}.")
    record_usage(order=order)
    return order


def record_usage(*, order: Order) -> None:
    """Report the order's total to billing (idempotent on the key). Without an exchange rate
    for its currency the order is still imported; the next run reports it."""
    try:
        with transaction.atomic():
            limits.record_order_usage(
                shop=order.shop,
                key=f"order:{order.pk}",
                amount=order.total,
                currency=order.currency or order.shop.currency or "EUR",
                occurred_at=order.ordered_at or order.created_at,
            )
    except RateUnavailable as exc:
        log.warning("order %s not counted yet: %s", order.pk, exc)
        return
    Order.objects.filter(pk=order.pk).update(usage_recorded=True)


def record_missing_usage(*, account: Account) -> None:
    for order in Order.objects.filter(account=account, usage_recorded=False).exclude(
        total=0, status=OrderStatus.FAILED
    )[:500]:
        record_usage(order=order)


@transaction.atomic
def _store_unreadable(account: Account, remote: RemoteOrder, error: str) -> Order:
    order, created = _claim_row(
        account,
        remote.order_id,
        marketplace_status=remote.status,
        marketplace_updated_at=remote.updated_at,
        status=OrderStatus.FAILED,
        error=error,
    )
    if created:
        add_log(order, f"Could not read the order: {error}")
    return order


# --- Export -----------------------------------------------------------------------------------


def export_pending(*, account: Account, run: ImportRun, clients: "ShopClients") -> None:
    record_missing_usage(account=account)
    pending = Order.objects.filter(
        account=account, status=OrderStatus.PENDING, held_for_limit=False
    ).values_list("pk", flat=True)
    for order_id in list(pending):
        run.export(order_id, clients)


def export_orders(*, order_ids: Iterable[int]) -> ImportRun:
    """Export these orders (retries, held orders after a limit lifts); one notify_many."""
    run = ImportRun()
    clients = ShopClients()
    try:
        for order_id in order_ids:
            run.export(order_id, clients)
    finally:
        run.notify()
    return run


class ShopClients:
    """One paced GraphQL client per shop for a job run: its memory of the leaky bucket lets
    it wait before Shopify would answer THROTTLED."""

    def __init__(self) -> None:
        self._clients: dict[int, AdminGraphQL] = {}
        # (shop id, store SKU) → variant id found during this run.
        self.variants: dict[tuple[int, str], str] = {}

    def for_shop(self, shop: Shop) -> AdminGraphQL:
        client = self._clients.get(shop.pk)
        if client is None or not shop.has_usable_token(at=timezone.now() + timedelta(minutes=1)):
            client = self._clients[shop.pk] = admin_client(shop)
            client.keep_available = PACING_HEADROOM
        return client


def export_order(*, order_id: int, clients: ShopClients | None = None) -> Order | None:
    """Create the order in Shopify once. Returns the order when it failed for good.

    Two transactions: the first checks and prepares under the row's lock and commits the
    attempt's marker; the second sends orderCreate under the lock again. A worker killed
    after Shopify's answer leaves the marker, so the next attempt looks the order up first;
    an order without one has never reached Shopify and is created without that lookup.
    Shopify's transient failures propagate (rolling back, so nothing half-done is kept) and
    the caller's task retries with backoff.
    """
    clients = clients or ShopClients()
    with transaction.atomic():
        order = _locked_exportable(order_id)
        if order is None:
            return None  # exported already, or another worker holds it right now
        if limits.exports_paused(order.shop):
            _hold(order)
            return None
        prepared = _prepare_export(order, clients)
        if not isinstance(prepared, dict):
            return prepared
    with transaction.atomic():
        started_at = order.export_started_at
        order = _locked_exportable(order_id)
        if order is None or order.export_started_at != started_at:
            return None  # another attempt started since ours; it looks up before creating
        return _create_in_shopify(order, clients, prepared)


def _locked_exportable(order_id: int) -> Order | None:
    return (
        Order.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("shop", "account")
        .filter(pk=order_id, status__in=EXPORTABLE)
        .first()
    )


def _hold(order: Order) -> None:
    if not order.held_for_limit:
        order.held_for_limit = True
        order.status = OrderStatus.PENDING
        order.save(update_fields=["held_for_limit", "status", "updated_at"])
        add_log(order, "Held: the shop's plan limit is reached. Exported when it lifts.")


# Points kept in Shopify's bucket before each call: one lookup and one orderCreate fit.
PACING_HEADROOM = 20.0


def _prepare_export(order: Order, clients: ShopClients) -> dict[str, Any] | Order | None:
    """orderCreate's input, with the attempt's marker saved; or the export's end: None when
    an earlier attempt did create the order, the order when it fails for good."""
    client = clients.for_shop(order.shop)
    if order.export_started_at is not None:
        existing = shopify.find_order(client, order.source_identifier)
        if existing:
            _imported(order, existing, "Already in Shopify as {name}; not created again.")
            return None
    items = list(order.items.all())
    variants, missing = _variants(clients, order, items)
    if missing:
        return _failed(
            order,
            f"No product in Shopify has the SKU {', '.join(missing)}. Add a SKU mapping "
            "(marketplace SKU → store SKU) and the order is imported again by itself.",
            missing_skus=missing,
        )
    order.export_attempts += 1
    order.export_started_at = timezone.now()
    order.save(update_fields=["export_attempts", "export_started_at", "updated_at"])
    return order_input(order, items, variants)


def _create_in_shopify(
    order: Order, clients: ShopClients, order_data: dict[str, Any]
) -> Order | None:
    try:
        created = shopify.create_order(clients.for_shop(order.shop), order_data)
    except ShopifyUserErrors as exc:
        return _failed(order, f"Shopify refused the order: {exc}")
    except (ShopifyGraphQLError, ShopifyShopUnavailable) as exc:
        return _failed(order, f"Shopify could not create the order: {exc}")
    _imported(order, created, "Created in Shopify as {name}.")
    return None


def _variants(
    clients: ShopClients, order: Order, items: list[OrderItem]
) -> tuple[dict[str, str], list[str]]:
    """Marketplace SKU → variant id, and the SKUs no variant has (after SKU mapping)."""
    client = clients.for_shop(order.shop)
    mapping = sku_mapping(account=order.account)
    variants: dict[str, str] = {}
    missing: list[str] = []
    for item in items:
        sku = item.marketplace_sku
        if sku in variants or sku in missing:
            continue
        store_sku = mapping.get(sku, sku)
        key = (order.shop_id, store_sku)
        variant = clients.variants.get(key) or (
            shopify.find_variant(client, store_sku) if sku else None
        )
        if variant:
            clients.variants[key] = variant
            variants[sku] = variant
        else:
            missing.append(sku or "(none)")
    return variants, missing


def order_input(order: Order, items: list[OrderItem], variants: dict[str, str]) -> dict[str, Any]:
    """orderCreate's OrderCreateOrderInput for a stored order."""
    currency = order.currency or order.shop.currency or "EUR"
    marketplace = ADAPTERS[order.marketplace].display_name
    details = order.details or {}
    shipping = Decimal(details.get("shipping") or "0")
    shipping_tax = Decimal(details.get("shipping_tax") or "0")
    data: dict[str, Any] = {
        "currency": currency,
        "lineItems": [
            {
                "variantId": variants[item.marketplace_sku],
                "quantity": item.quantity,
                "priceSet": shopify.money_bag(item.unit_price, currency),
                "taxLines": shopify.tax_lines(item.tax, item.unit_price * item.quantity, currency),
            }
            for item in items
        ],
        "shippingLines": [
            {
                "title": details.get("shipping_title") or f"{marketplace} shipping",
                "priceSet": shopify.money_bag(shipping, currency),
                "taxLines": shopify.tax_lines(shipping_tax, shipping, currency),
            }
        ],
        "financialStatus": "PAID",
        "transactions": [
            {
                "kind": "SALE",
                "status": "SUCCESS",
                "gateway": marketplace,
                "amountSet": shopify.money_bag(order.total, currency),
            }
        ],
        "sourceName": order.marketplace,
        "sourceIdentifier": order.source_identifier,
        "tags": [marketplace, order.account.name],
        "note": f"{marketplace} order {order.marketplace_order_id}",
    }
    if details.get("address"):
        data["shippingAddress"] = details["address"]
    if details.get("buyer_email"):
        data["email"] = details["buyer_email"]
    if order.ordered_at:
        data["processedAt"] = order.ordered_at.isoformat()
    return data


def _imported(order: Order, created: dict[str, str], message: str) -> None:
    order.status = OrderStatus.IMPORTED
    order.shopify_order_id = created["id"]
    order.shopify_order_name = created["name"]
    order.error = ""
    order.missing_skus = []
    order.held_for_limit = False
    order.save()
    add_log(order, message.format(name=created["name"]))
    transaction.on_commit(
        lambda: close_incident(
            shop=order.shop, category=Category.ORDER_IMPORT_FAILED, key=f"order:{order.pk}"
        )
    )


def _failed(order: Order, error: str, *, missing_skus: list[str] | None = None) -> Order:
    order.status = OrderStatus.FAILED
    order.error = error
    order.missing_skus = missing_skus or []
    order.held_for_limit = False
    order.save()
    add_log(order, f"Export failed: {error}")
    return order


# --- Retries ----------------------------------------------------------------------------------


def mark_for_retry(*, shop: Shop, order_ids: Iterable[int]) -> list[int]:
    """The merchant's Retry export: the shop's failed orders among these go back to pending."""
    orders = list(
        Order.objects.filter(shop=shop, pk__in=list(order_ids), status=OrderStatus.FAILED)
    )
    for order in orders:
        add_log(order, "Export retried by the merchant.")
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(status=OrderStatus.PENDING)
    return [o.pk for o in orders]


def release_held_orders(*, shop: Shop) -> list[int]:
    """The plan limit lifted: the held orders, to be exported (each exactly once)."""
    return list(
        Order.objects.filter(shop=shop, held_for_limit=True, status=OrderStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- SKU mapping ------------------------------------------------------------------------------


def save_sku_mapping(
    *, shop: Shop, account: Account | None, marketplace_sku: str, store_sku: str
) -> tuple[SkuMapping, list[int]]:
    """Add or change one mapping; returns it and the failed orders it can now import."""
    mapping, _ = SkuMapping.objects.update_or_create(
        shop=shop,
        account=account,
        marketplace_sku=marketplace_sku,
        defaults={"store_sku": store_sku},
    )
    return mapping, orders_waiting_for(shop=shop, account=account, skus=[marketplace_sku])


def orders_waiting_for(*, shop: Shop, account: Account | None, skus: list[str]) -> list[int]:
    """Failed orders that lacked one of these SKUs, back to pending for the export task."""
    waiting = Order.objects.filter(shop=shop, status=OrderStatus.FAILED)
    if account is not None:
        waiting = waiting.filter(account=account)
    ids: set[int] = set()
    for sku in skus:
        ids.update(waiting.filter(missing_skus__contains=[sku]).values_list("pk", flat=True))
    orders = list(Order.objects.filter(pk__in=ids))
    for order in orders:
        add_log(order, "A SKU mapping was added; exporting again.")
    Order.objects.filter(pk__in=ids).update(status=OrderStatus.PENDING)
    return sorted(ids)


def delete_sku_mapping(*, shop: Shop, mapping_id: int) -> None:
    SkuMapping.objects.filter(shop=shop, pk=mapping_id).delete()


@transaction.atomic
def save_uploaded_mappings(*, shop: Shop, rows: Iterable[Any]) -> list[int]:
    """The valid rows of a CSV upload (orders.csv_mapping.Row); returns the orders to retry."""
    waiting: set[int] = set()
    for row in rows:
        _, ids = save_sku_mapping(
            shop=shop,
            account=row.account,
            marketplace_sku=row.marketplace_sku,
            store_sku=row.store_sku,
        )
        waiting.update(ids)
    return sorted(waiting)


def import_now(*, shop: Shop) -> list[int]:
    """The Orders tab's Import now: the shop's syncable accounts to import."""
    return list(Account.objects.syncable().filter(shop=shop).values_list("pk", flat=True))
