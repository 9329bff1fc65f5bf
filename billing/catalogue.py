"""The plans on offer when the app is installed (the data migration writes them; the admin
may change them later). The free plan must always exist: a shop without a subscription is on it."""

from decimal import Decimal
from typing import Any

# code, name, monthly price, GMV limit per period (None: no limit)
PLANS: list[tuple[str, str, str, str | None]] = [
    ("free", "Free", "0", "1000"),
    ("starter", "Starter", "19", "5000"),
    ("growth", "Growth", "49", "25000"),
    ("pro", "Pro", "99", "100000"),
    ("unlimited", "Unlimited", "249", None),
]


def plan_defaults(position: int) -> dict[str, Any]:
    _code, name, price, limit = PLANS[position]
    return {
        "name": name,
        "monthly_price": Decimal(price),
        "gmv_limit": Decimal(limit) if limit else None,
        "currency": "EUR",
        "position": position,
    }


def install_plans(plan_model: Any) -> None:
    """Create the catalogue's plans that are missing; existing rows are left as edited."""
    for position, (code, *_rest) in enumerate(PLANS):
        plan_model.objects.get_or_create(code=code, defaults=plan_defaults(position))
