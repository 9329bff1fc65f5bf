"""Billing fixtures: a shop on a plan, with its counter row."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from billing import limits
from billing.models import Plan, Subscription
from notifications.models import NotificationSettings
from salestio.models import Shop


def on_plan(shop: Shop, code: str) -> Plan:
    plan = Plan.objects.get(code=code)
    Subscription.objects.update_or_create(
        shop=shop, defaults={"plan": plan, "shopify_id": f"gid://shopify/AppSubscription/{code}"}
    )
    return plan


@pytest.fixture
def emails_on(shop: Shop) -> NotificationSettings:
    return NotificationSettings.objects.create(shop=shop, plan_limit=True)


@pytest.fixture
def add_order(shop: Shop) -> Callable[..., None]:
    """Record an order (or a return, negative) for the shop through the public seam."""
    counter = iter(range(1, 1_000_000))

    def add(
        amount: str, currency: str = "EUR", *, key: str = "", at: datetime | None = None
    ) -> None:
        limits.record_order_usage(
            shop=shop,
            key=key or f"order:{next(counter)}",
            amount=Decimal(amount),
            currency=currency,
            occurred_at=at or timezone.now(),
        )

    return add


@pytest.fixture
def starter(shop: Shop) -> Plan:
    """5,000 EUR per period: 80 % is 4,000."""
    return on_plan(shop, "starter")


def usage_of(shop: Shop) -> Any:
    from billing.models import UsagePeriod

    return UsagePeriod.objects.get(shop=shop, closed=False)


@pytest.fixture
def lifted() -> Any:
    """The shops billing.signals.limit_lifted was sent for, in order."""
    from billing.signals import limit_lifted

    received: list[Shop] = []

    def receiver(sender: object, shop: Shop, **kwargs: object) -> None:
        received.append(shop)

    limit_lifted.connect(receiver, weak=False)
    yield received
    limit_lifted.disconnect(receiver)


@pytest.fixture(autouse=True)
def _plans(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush the tables, the data migration's plans included."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        from billing.catalogue import install_plans

        request.getfixturevalue("transactional_db")
        install_plans(Plan)
