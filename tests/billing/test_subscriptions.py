"""Plan changes through Shopify's Billing API, against the sandbox's billing simulator:
appSubscriptionCreate, the confirmation page, the return through activeSubscriptions, and
app_subscriptions/update for cancelled, frozen and reactivated subscriptions."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import requests
from django.utils import timezone

from billing import limits
from billing.models import Subscription, UsageState
from notifications.models import Banner
from salestio.models import Shop
from tests.billing.conftest import usage_of
from tests.conftest import session_token

SHOP = "plan-shop.myshopify.com"


@pytest.fixture
def shopify(sandbox: Any) -> Any:
    return sandbox.sandbox["/shopify"]


@pytest.fixture
def installed(db: None, client: Any, shopify: Any, django_capture_on_commit_callbacks: Any) -> Shop:
    """Installed the Shopify-managed way, so its offline token is one the sandbox issued."""
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get("/", {"id_token": session_token(SHOP), "shop": SHOP}).status_code == 200
    return Shop.objects.get(domain=SHOP)


@pytest.fixture
def app(installed: Shop, shop_client: Callable[[Shop], Any]) -> Any:
    return shop_client(installed)


def record(shop: Shop, amount: str, key: str) -> None:
    limits.record_order_usage(
        shop=shop, key=key, amount=Decimal(amount), currency="EUR", occurred_at=timezone.now()
    )


def choose_and_decide(app: Any, code: str, decision: str = "approve") -> Any:
    """Choose on /billing/, decide on the sandbox's confirmation page, come back."""
    chosen = app.post(f"/billing/plans/{code}/choose")
    assert chosen.status_code == 200, chosen.content
    confirmation_url = chosen.context["url"]
    assert 'target="_top"' in chosen.content.decode()
    assert "Approve subscription" in requests.get(confirmation_url, timeout=10).text
    decided = requests.post(
        confirmation_url, data={"decision": decision}, allow_redirects=False, timeout=10
    )
    location = decided.headers["Location"]
    assert "/billing/return?charge_id=" in location
    return app.get("/billing/return", {"charge_id": location.rsplit("=", 1)[1]})


def test_an_approved_upgrade_applies_at_once_and_ends_the_pause(
    installed: Shop,
    app: Any,
    shopify: Any,
    lifted: list[Shop],
    django_capture_on_commit_callbacks: Any,
) -> None:
    record(installed, "1200", "order:1")  # free plan: 1,000
    assert limits.exports_paused(installed)
    with django_capture_on_commit_callbacks(execute=True):
        back = choose_and_decide(app, "growth")
    assert "You are on the Growth plan now." in back.content.decode()
    period = usage_of(installed)
    assert (period.gmv_limit, period.used, period.state) == (
        Decimal("25000.00"),
        Decimal("1200.00"),
        UsageState.OK,
    )
    assert not limits.exports_paused(installed)
    assert not Banner.objects.filter(shop=installed, resolved_at=None).exists()
    assert lifted == [installed]
    subscription = Subscription.objects.get(shop=installed)
    (charge,) = shopify.shop(SHOP).subscriptions
    assert (subscription.plan.code, subscription.shopify_id) == ("growth", charge.gid)
    assert charge.test is True  # test charges unless BILLING_PRODUCTION_CHARGES
    assert subscription.current_period_end is not None


def test_a_declined_charge_leaves_the_plan_as_it_was(installed: Shop, app: Any) -> None:
    back = choose_and_decide(app, "starter", decision="decline")
    assert "Starter was not approved in Shopify; you stay on Free." in back.content.decode()
    assert usage_of(installed).gmv_limit == Decimal("1000.00")


def test_a_downgrade_below_this_periods_usage_is_refused_with_the_reason(
    installed: Shop, app: Any
) -> None:
    choose_and_decide(app, "growth")
    record(installed, "6000", "order:big")
    refused = app.post("/billing/plans/starter/choose")
    assert refused.status_code == 400
    assert (
        "Starter allows €5,000.00 per billing period, and €6,000.00 were already used "
        "in this one. Choose it again when the new period begins."
    ) in refused.content.decode()
    assert Subscription.objects.get(shop=installed).plan.code == "growth"


def test_back_to_free_cancels_the_subscription_on_shopify(
    installed: Shop, app: Any, shopify: Any
) -> None:
    choose_and_decide(app, "growth")
    back = app.post("/billing/plans/free/choose")
    assert "You are on the Free plan now." in back.content.decode()
    assert [s.status for s in shopify.shop(SHOP).subscriptions] == ["CANCELLED"]
    assert usage_of(installed).gmv_limit == Decimal("1000.00")


@pytest.fixture
def webhooks_to_app(shopify: Any, live_server: Any, settings: Any) -> None:
    """The sandbox delivers app_subscriptions/update to the running app, as Shopify does."""
    shopify.config.app_url = live_server.url
    settings.SHOPIFY_APP_URL = live_server.url


@pytest.mark.postgres
def test_a_subscription_cancelled_on_shopify_returns_the_shop_to_the_free_limit(
    transactional_db: None, webhooks_to_app: None, installed: Shop, app: Any, shopify: Any
) -> None:
    choose_and_decide(app, "growth")
    record(installed, "1500", "order:1")
    assert usage_of(installed).state == UsageState.OK
    shopify.set_subscription_status(SHOP, 1, "CANCELLED")
    period = usage_of(installed)
    assert (period.gmv_limit, period.state) == (Decimal("1000.00"), UsageState.EXCEEDED)
    assert limits.exports_paused(installed)
    assert Subscription.objects.get(shop=installed).status == "CANCELLED"


@pytest.mark.postgres
def test_a_frozen_subscription_applies_the_free_limit_until_it_is_active_again(
    transactional_db: None, webhooks_to_app: None, installed: Shop, app: Any, shopify: Any
) -> None:
    choose_and_decide(app, "growth")
    record(installed, "900", "order:1")
    shopify.set_subscription_status(SHOP, 1, "FROZEN")
    assert (usage_of(installed).gmv_limit, usage_of(installed).state) == (
        Decimal("1000.00"),
        UsageState.NEAR,
    )
    shopify.set_subscription_status(SHOP, 1, "ACTIVE")
    assert (usage_of(installed).gmv_limit, usage_of(installed).state) == (
        Decimal("25000.00"),
        UsageState.OK,
    )


@pytest.mark.postgres
def test_approving_a_new_plan_replaces_the_old_one_whatever_order_the_webhooks_arrive(
    transactional_db: None, webhooks_to_app: None, installed: Shop, app: Any, shopify: Any
) -> None:
    choose_and_decide(app, "starter")
    choose_and_decide(app, "pro")
    assert [s.status for s in shopify.shop(SHOP).subscriptions] == ["CANCELLED", "ACTIVE"]
    assert Subscription.objects.get(shop=installed).plan.code == "pro"
    assert usage_of(installed).gmv_limit == Decimal("100000.00")
