"""Tracking back to the marketplace when the merchant fulfils an imported order in Shopify.

Intake is Shopify's fulfillments/create webhook (REST Fulfillment payload,
https://shopify.dev/docs/api/admin-rest/latest/resources/fulfillment); the push goes through
each adapter's push_fulfillment (Amazon confirmShipment, eBay CompleteSale with
ShipmentTrackingDetails, Etsy createReceiptShipment). It does not look at the plan limit:
tracking keeps flowing while exports are paused.
"""

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.marketplaces import (
    ADAPTERS,
    RETRYABLE,
    MarketplaceError,
    Shipment,
    ShipmentLine,
)
from accounts.services import call_marketplace
from notifications.models import Category
from notifications.services import Incident, notify_many
from orders.models import Fulfillment, FulfillmentStatus, Order
from orders.services import add_log
from salestio.models import Shop

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)

# Shopify's tracking company → each marketplace's carrier code. Amazon: carrierCode values of
# confirmShipment; eBay: ShippingCarrierUsed (ShippingCarrierCodeType); Etsy: carrier_name of
# createReceiptShipment. Unknown carriers go as Shopify names them.
CARRIERS: dict[str, dict[str, str]] = {
    "dhl": {"amazon": "DHL", "ebay": "DHL", "etsy": "dhl"},
    "dhl express": {"amazon": "DHL", "ebay": "DHL", "etsy": "dhl-express"},
    "deutsche post": {"amazon": "Deutsche Post", "ebay": "DeutschePost", "etsy": "deutsche-post"},
    "dpd": {"amazon": "DPD", "ebay": "DPD", "etsy": "dpd"},
    "hermes": {"amazon": "Hermes", "ebay": "Hermes", "etsy": "hermes"},
    "gls": {"amazon": "GLS", "ebay": "GLS", "etsy": "gls"},
    "ups": {"amazon": "UPS", "ebay": "UPS", "etsy": "ups"},
    "usps": {"amazon": "USPS", "ebay": "USPS", "etsy": "usps"},
    "fedex": {"amazon": "FedEx", "ebay": "FedEx", "etsy": "fedex"},
    "royal mail": {"amazon": "Royal Mail", "ebay": "RoyalMail", "etsy": "royal-mail"},
}


def carrier_for(marketplace: str, company: str) -> str:
    return CARRIERS.get(company.strip().lower(), {}).get(marketplace, company.strip() or "Other")


def record_fulfillment(*, shop: Shop, payload: dict[str, Any]) -> Fulfillment | None:
    """A fulfillments/create webhook: remember it and push it (None: not an order of ours)."""
    order_gid = f"gid://shopify/Order/{payload.get('order_id')}"
    order = Order.objects.filter(shop=shop, shopify_order_id=order_gid).first()
    if order is None:
        return None
    numbers = payload.get("tracking_numbers") or [payload.get("tracking_number") or ""]
    shipped = parse_datetime(str(payload.get("created_at") or "")) or timezone.now()
    fulfillment, created = Fulfillment.objects.get_or_create(
        order=order,
        shopify_fulfillment_id=str(payload.get("id")),
        defaults={
            "carrier": str(payload.get("tracking_company") or ""),
            "tracking_number": str(numbers[0] or ""),
            "shipped_at": shipped,
        },
    )
    if created:
        add_log(
            order, f"Fulfilled in Shopify ({fulfillment.carrier} {fulfillment.tracking_number})."
        )
    return fulfillment


def due_fulfillments(*, now: datetime) -> list[int]:
    """The catch-up: pending pushes whose backoff has passed."""
    return list(
        Fulfillment.objects.filter(status=FulfillmentStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )


def push_fulfillments(*, fulfillment_ids: list[int]) -> None:
    """Push each; the permanent refusals of this run go out in one notify_many."""
    refused = [f for f in (push_fulfillment(fulfillment_id=i) for i in fulfillment_ids) if f]
    notify_many([refusal_incident(f) for f in refused])


def refusal_incident(fulfillment: Fulfillment) -> Incident:
    order = fulfillment.order
    return Incident(
        shop=order.shop,
        category=Category.FULFILLMENT_FAILED,
        key=f"fulfillment:{fulfillment.pk}",
        context={
            "order_id": order.marketplace_order_id,
            "marketplace": ADAPTERS[order.marketplace].display_name,
            "error": fulfillment.error,
        },
    )


def push_fulfillment(*, fulfillment_id: int) -> Fulfillment | None:
    """Send one fulfillment; returns it when the marketplace refused it for good."""
    with transaction.atomic():
        fulfillment = (
            Fulfillment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order__account", "order__shop")
            .filter(pk=fulfillment_id, status=FulfillmentStatus.PENDING)
            .first()
        )
        if fulfillment is None:
            return None
        return _push_locked(fulfillment)


def shipment_of(fulfillment: Fulfillment) -> Shipment:
    order = fulfillment.order
    return Shipment(
        order_id=order.marketplace_order_id,
        carrier=carrier_for(order.marketplace, fulfillment.carrier),
        tracking_number=fulfillment.tracking_number,
        shipped_at=fulfillment.shipped_at,
        lines=tuple(
            ShipmentLine(line_id=item.line_id, quantity=item.quantity) for item in order.items.all()
        ),
    )


def _push_locked(fulfillment: Fulfillment) -> Fulfillment | None:
    order = fulfillment.order
    marketplace = ADAPTERS[order.marketplace].display_name
    fulfillment.attempts += 1
    try:
        call_marketplace(order.account, lambda a: a.push_fulfillment(shipment_of(fulfillment)))
    except RETRYABLE as exc:
        return _retry_later(fulfillment, str(exc))
    except MarketplaceError as exc:
        return _refused(fulfillment, f"{marketplace} refused the tracking: {exc}")
    fulfillment.status = FulfillmentStatus.SENT
    fulfillment.error = ""
    fulfillment.save()
    add_log(order, f"Tracking {fulfillment.tracking_number} sent to {marketplace}.")
    return None


def _retry_later(fulfillment: Fulfillment, error: str) -> Fulfillment | None:
    if fulfillment.attempts >= MAX_ATTEMPTS:
        return _refused(fulfillment, f"Still failing after {fulfillment.attempts} tries: {error}")
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (fulfillment.attempts - 1))
    fulfillment.next_attempt_at = timezone.now() + delay * random.uniform(0.5, 1.0)
    fulfillment.error = error
    fulfillment.save()
    log.info("fulfillment %s retried at %s: %s", fulfillment.pk, fulfillment.next_attempt_at, error)
    return None


def _refused(fulfillment: Fulfillment, error: str) -> Fulfillment:
    fulfillment.status = FulfillmentStatus.FAILED
    fulfillment.error = error
    fulfillment.save()
    add_log(fulfillment.order, f"Fulfillment failed: {error}")
    return fulfillment
