"""The Orders tab in Chromium: find a failed order by its id, read why in its log, map the SKU,
and see it imported with no further click."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from notifications.models import NotificationSettings
from orders import tasks
from orders.models import Order, OrderStatus
from tests.accounts.conftest import connect, sims  # noqa: F401  (fixtures reused here)
from tests.orders.conftest import live_shop, shopify  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_open_read_the_log_map_the_sku_and_watch_it_import(
    demo_login: Any,
    app_url: str,
    connect: Any,  # noqa: F811  (the fixtures imported above)
    live_shop: Any,  # noqa: F811
    sims: Any,  # noqa: F811
    shopify: Any,  # noqa: F811
) -> None:
    NotificationSettings.objects.update_or_create(shop=live_shop)
    account = connect(live_shop, "etsy")
    shopify.add_variant(live_shop.domain, "STORE-MUG")
    sims.etsy.add_receipt(sims.etsy.default_user, 777001, sku="ETSY-MUG")
    sims.etsy.add_receipt(sims.etsy.default_user, 777002, sku="ETSY-MUG")
    tasks.import_account_orders(account.pk)
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.FAILED}

    page: Page = demo_login(live_shop)
    page.goto(f"{app_url}/orders/")
    page.get_by_label("Search").fill("777001")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="777002")).to_have_count(0)
    page.get_by_role("link", name="777001").click()

    expect(page.get_by_role("heading", name="Order 777001").first).to_be_visible()
    expect(page.locator(".order-log")).to_contain_text("No product in Shopify has the SKU ETSY-MUG")
    page.get_by_role("link", name="Map the SKU").click()
    expect(page.get_by_label("Marketplace SKU")).to_have_value("ETSY-MUG")
    page.get_by_label("Store SKU").fill("STORE-MUG")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.get_by_text("2 failed orders are being imported again.")).to_be_visible()

    page.goto(f"{app_url}/orders/?q=777001")
    page.get_by_role("link", name="777001").click()
    expect(page.locator(".status")).to_have_text("Imported")
    expect(page.locator(".order-log")).to_contain_text("Created in Shopify as #100")
    assert Order.objects.filter(status=OrderStatus.IMPORTED).count() == 2
    assert len(shopify.shop(live_shop.domain).orders) == 2
