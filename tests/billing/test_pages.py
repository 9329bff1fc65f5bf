"""/billing/ and the dashboard's counter: plans side by side, the current one marked, the
counter with its currency, percentage, bar and forecast, in English and German."""

import re
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Plan
from salestio.models import Shop
from tests.billing.conftest import on_plan

AddOrder = Callable[..., None]


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_plans_page_shows_every_plan_with_the_current_one_marked(
    shop: Shop, starter: Plan, shop_client: Callable[[Shop], Any]
) -> None:
    page = text(shop_client(shop).get("/billing/"))
    for name in ("Free", "Starter", "Growth", "Pro", "Unlimited"):
        assert f'data-plan="{name.lower()}"' in page
    assert re.search(r'class="plan current" data-plan="starter">.*?Current plan', page)
    assert "GMV up to €25,000.00 per billing period" in page
    assert "€49.00 per 30 days" in page and "No GMV limit" in page
    assert page.count("<button") - page.count('class="link"') == 4  # Choose on every other plan
    assert 'action="/billing/plans/growth/choose"' in page
    assert "cannot be chosen until the new period begins" in page


def test_the_dashboard_counter_shows_usage_percentage_bar_and_forecast(
    shop: Shop, starter: Plan, add_order: AddOrder, shop_client: Callable[[Shop], Any]
) -> None:
    add_order("4250")
    page = text(shop_client(shop).get("/"))
    assert "<strong data-usage-used>€4,250.00</strong> / <span data-usage-limit>€5,000.00" in page
    assert "<span data-usage-percent>85.0 %</span>" in page
    assert '<progress class="usage-bar" max="100" value="85"' in page
    # All of it on the first day: at that pace the limit is reached today.
    assert "At this pace the limit is reached on" in page
    assert "You have almost reached the subscription limit" in page


def test_the_counter_in_german(
    shop: Shop, starter: Plan, add_order: AddOrder, shop_client: Callable[[Shop], Any]
) -> None:
    Shop.objects.filter(pk=shop.pk).update(locale="de")
    add_order("10")
    page = text(shop_client(shop).get("/billing/"))
    assert "10,00 €" in page and "5.000,00 €" in page
    assert "Bei diesem Tempo bleiben Sie in diesem Zeitraum innerhalb des Limits." in page
    assert "Plan wählen" in page or "Growth wählen" in page


def test_the_dashboard_query_count_does_not_grow_with_orders_or_periods(
    shop: Shop, starter: Plan, add_order: AddOrder, shop_client: Callable[[Shop], Any]
) -> None:
    client = shop_client(shop)
    add_order("10")
    client.get("/")  # warm-up: the session token's shop lookup is the same each time

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    before = queries()
    for _ in range(20):
        add_order("150")
    assert queries() == before


def test_a_plan_without_limit_shows_no_bar(shop: Shop, shop_client: Callable[[Shop], Any]) -> None:
    on_plan(shop, "unlimited")
    page = text(shop_client(shop).get("/"))
    assert "no limit on your plan" in page and "<progress" not in page
