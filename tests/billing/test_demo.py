"""demo/billing.py: the demo shop at about 85 % of Starter, with the warning and a forecast;
a bigger plan through the sandbox's confirmation page clears it."""

from decimal import Decimal
from typing import Any

import requests
from django.test.utils import override_settings

from billing import selectors, services
from billing.models import ExchangeRate, Plan, UsageState
from demo import billing as billing_demo
from demo.seeding import seed_shop
from notifications.models import Banner, BannerKind


def test_the_demo_shop_nearly_reaches_its_limit_and_a_bigger_plan_clears_it(
    sandbox: Any, db: None
) -> None:
    shop = seed_shop()
    billing_demo.seed(shop, sandbox_url=sandbox.url)
    billing_demo.seed(shop, sandbox_url=sandbox.url)  # seed_demo runs on every `make demo`
    summary = selectors.usage_summary(shop=shop)
    assert (summary.used, summary.limit, summary.percent) == (
        Decimal("4250.00"),
        Decimal("5000.00"),
        Decimal("85.0"),
    )
    assert summary.state == UsageState.NEAR and summary.reached_on is not None
    active = Banner.objects.filter(shop=shop, resolved_at=None)
    assert list(active.values_list("kind", flat=True)) == [BannerKind.PLAN_LIMIT_NEAR]
    assert ExchangeRate.objects.filter(base="EUR", quote="USD").exists()

    with override_settings(SHOPIFY_SHOP_ORIGIN=f"{sandbox.url}/shopify/{{shop}}"):
        url = services.choose_plan(
            shop=shop, plan=Plan.objects.get(code="growth"), return_url="http://app.test/r"
        )
        assert url is not None
        requests.post(url, data={"decision": "approve"}, allow_redirects=False, timeout=10)
        services.confirm_from_shopify(shop=shop)
    assert selectors.usage_summary(shop=shop).limit == Decimal("25000.00")
    assert not Banner.objects.filter(shop=shop, resolved_at=None).exists()
