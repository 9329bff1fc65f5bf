"""The billing app's rows and object URLs for the registry in tests/factories.py."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from billing.models import Plan, Subscription, UsageLine, UsagePeriod
from salestio.models import Shop
from tests.factories import model_factory, serial


@model_factory("billing.Subscription")
def _subscription(shop: Shop) -> Subscription:
    return Subscription.objects.create(
        shop=shop,
        plan=Plan.objects.get(code="starter"),
        shopify_id=f"gid://shopify/AppSubscription/{serial()}",
    )


@model_factory("billing.UsagePeriod")
def _usage_period(shop: Shop) -> UsagePeriod:
    now = timezone.now()
    # Closed: a shop may have many past periods, but only one open.
    return UsagePeriod.objects.create(
        shop=shop,
        starts_at=now - timedelta(days=60 + serial()),
        ends_at=now - timedelta(days=30),
        gmv_limit=Decimal("1000"),
        currency="EUR",
        closed=True,
    )


@model_factory("billing.UsageLine")
def _usage_line(shop: Shop) -> UsageLine:
    period = _usage_period(shop)
    return UsageLine.objects.create(
        shop=shop,
        period=period,
        key=f"order:{shop.domain}:{serial()}",
        amount=Decimal("10.00"),
        original_amount=Decimal("10.00"),
        original_currency="EUR",
        rate=Decimal(1),
        occurred_at=period.starts_at,
    )
