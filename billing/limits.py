"""What order import and listing sync ask billing: record an order's GMV, and whether the
shop's plan limit pauses exports. Callers use only these names; billing.usage does the work."""

from datetime import datetime
from decimal import Decimal

from billing import usage
from salestio.models import Shop


def record_order_usage(
    *, shop: Shop, key: str, amount: Decimal, currency: str, occurred_at: datetime
) -> None:
    """Add an imported order's total to the shop's usage of its billing period.

    Idempotent on `key` (e.g. "order:<local order id>"); a negative amount under another key
    records a return or cancellation. An amount in another currency than the plan's is
    converted with the stored rate table (billing.rates.RateUnavailable when it has none:
    retry later). Crossing a threshold raises the banner and sends the email, once.
    """
    usage.record(shop=shop, key=key, amount=amount, currency=currency, occurred_at=occurred_at)


def exports_paused(shop: Shop) -> bool:
    """True while the shop is over its plan limit: orders are stored but not exported, and
    listing changes are kept as desired state but not pushed. Fulfillment and connection
    checks never ask."""
    return usage.is_paused(shop)
