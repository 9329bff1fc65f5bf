"""What order import and listing sync ask billing: record an order's GMV, and whether the
shop's plan limit pauses exports. The billing issue fills these in; callers use only these
names, so they need not change when it does."""

from datetime import datetime
from decimal import Decimal

from salestio.models import Shop


def record_order_usage(
    *, shop: Shop, key: str, amount: Decimal, currency: str, occurred_at: datetime
) -> None:
    """Add an imported order's total to the shop's usage of its billing period.

    Idempotent on `key` (e.g. "order:<local order id>"); a negative amount under another key
    records a return or cancellation.
    """


def exports_paused(shop: Shop) -> bool:
    """True while the shop is over its plan limit: orders are stored but not exported, and
    listing changes are kept as desired state but not pushed."""
    return False
