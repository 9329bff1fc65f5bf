"""The demo shop's plan: Starter through the sandbox's Billing API, at about 85 % of its GMV
limit two thirds into the period, so the dashboard shows the nearly-reached banner, the
counter and a forecast. Choosing a bigger plan on /billing/ goes through the sandbox's
confirmation page and clears the banner.

The shop gets an offline token the sandbox issued (authorization-code grant, non-expiring,
as a dummy token would be refused by the sandbox's Billing API). Idempotent: orders are
recorded under fixed keys, and a shop already on a paid plan keeps it.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from billing import limits, rates, selectors, services, usage
from billing.models import Plan, UsagePeriod
from demo.wiring import sandbox_settings
from salestio.models import Shop

DEMO_PLAN = "starter"
# 85 % of Starter's 5,000 EUR, spread over the period's first 20 days.
DEMO_ORDERS = [Decimal("212.50")] * 20
DAYS_INTO_PERIOD = 20
TIMEOUT = 10


def seed(shop: Shop, **kwargs: Any) -> None:
    """kwargs: sandbox_url, where `python -m sandbox` answers (as seed_demo passes it)."""
    sandbox_url = str(kwargs["sandbox_url"]).rstrip("/")
    with override_settings(BILLING_RATES_URL=sandbox_settings(sandbox_url)["BILLING_RATES_URL"]):
        rates.refresh_rates()  # orders in USD, GBP … convert from the first day
    with override_settings(SHOPIFY_SHOP_ORIGIN=f"{sandbox_url}/shopify/{{shop}}"):
        _install_through_sandbox(shop, sandbox_url)
        if selectors.current_plan(shop=shop).is_free:
            _subscribe(shop, Plan.objects.get(code=DEMO_PLAN))
            _start_period_days_ago(shop, DAYS_INTO_PERIOD)
    _record_orders(shop)


def _install_through_sandbox(shop: Shop, sandbox_url: str) -> None:
    """The authorization-code grant, as /auth/install → /auth/callback run it."""
    origin = f"{sandbox_url}/shopify/{shop.domain}/admin/oauth"
    redirect_uri = f"{settings.SHOPIFY_APP_URL}{reverse('oauth-callback')}"
    granted = requests.get(
        f"{origin}/authorize",
        params={
            "client_id": settings.SHOPIFY_API_KEY,
            "scope": settings.SCOPES,
            "redirect_uri": redirect_uri,
            "state": "demo",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    code = parse_qs(urlsplit(granted.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{origin}/access_token",
        data={
            "client_id": settings.SHOPIFY_API_KEY,
            "client_secret": settings.SHOPIFY_API_SECRET,
            "code": code,
        },
        timeout=TIMEOUT,
    )
    token.raise_for_status()
    shop.access_token, shop.access_token_expires_at = token.json()["access_token"], None
    shop.save(update_fields=["access_token", "access_token_expires_at"])


def _subscribe(shop: Shop, plan: Plan) -> None:
    """Choose, approve on the sandbox's confirmation page, and confirm: the merchant's path."""
    return_url = f"{settings.SHOPIFY_APP_URL}{reverse('billing:return')}"
    confirmation_url = services.choose_plan(shop=shop, plan=plan, return_url=return_url)
    assert confirmation_url is not None
    requests.post(
        confirmation_url, data={"decision": "approve"}, allow_redirects=False, timeout=TIMEOUT
    ).raise_for_status()
    services.confirm_from_shopify(shop=shop)


def _start_period_days_ago(shop: Shop, days: int) -> None:
    """The demo can't wait three weeks: the fresh period is moved to have begun `days` ago."""
    now = timezone.now()
    UsagePeriod.objects.filter(pk=usage.open_period(shop).pk).update(
        starts_at=now - timedelta(days=days), ends_at=now + timedelta(days=30 - days)
    )


def _record_orders(shop: Shop) -> None:
    starts_at = usage.open_period(shop).starts_at
    for day, amount in enumerate(DEMO_ORDERS):
        limits.record_order_usage(
            shop=shop,
            key=f"demo:order:{day}",
            amount=amount,
            currency="EUR",
            occurred_at=starts_at + timedelta(days=day, hours=12),
        )
