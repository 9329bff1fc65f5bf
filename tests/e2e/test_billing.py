"""Change plan in Chromium, inside the sandbox's Shopify admin: the nearly-reached banner →
Change plan → Choose → Shopify's confirmation page (top level, out of the iframe) → Approve
→ back in the admin, the banner gone and the counter showing the new limit."""

import re
from decimal import Decimal
from typing import Any

from django.utils import timezone

SHOP = "billing-shop.myshopify.com"


def test_change_plan_from_the_banner_through_shopifys_confirmation(
    page: Any, shopify_admin: Any, sandbox: Any
) -> None:
    from playwright.sync_api import expect

    from billing import limits
    from billing.catalogue import install_plans
    from billing.models import Plan
    from notifications.models import Banner
    from salestio.models import Shop

    install_plans(Plan)  # the live server's database is flushed between tests
    page.goto(shopify_admin(SHOP))
    app = page.frame_locator("#app-iframe")
    expect(app.locator("#usage-counter")).to_be_visible()
    shop = Shop.objects.get(domain=SHOP)
    limits.record_order_usage(
        shop=shop, key="order:1", amount=Decimal("850"), currency="EUR", occurred_at=timezone.now()
    )

    page.goto(shopify_admin(SHOP))
    banner = app.locator("s-banner", has_text="You have almost reached the subscription limit")
    expect(banner).to_be_visible()
    expect(app.locator("[data-usage-limit]")).to_have_text("€1,000.00")
    banner.get_by_role("link", name="Change plan").click()
    app.get_by_role("button", name="Choose Growth").click()

    page.wait_for_url(re.compile(rf"^{re.escape(sandbox.url)}/shopify/{SHOP}/admin/charges/"))
    expect(page.locator("#charge-name")).to_have_text("Growth")
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url(re.compile(rf"^{re.escape(sandbox.url)}/store/billing-shop/apps/"))
    expect(app.get_by_text("You are on the Growth plan now.")).to_be_visible()
    expect(app.locator("[data-usage-limit]")).to_have_text("€25,000.00")
    expect(app.locator('.plan.current[data-plan="growth"]')).to_be_visible()
    page.goto(shopify_admin(SHOP))
    expect(app.locator("[data-usage-used]")).to_have_text("€850.00")
    expect(app.locator("[data-usage-limit]")).to_have_text("€25,000.00")
    expect(app.locator("s-banner", has_text="subscription limit")).to_have_count(0)
    assert not Banner.objects.filter(shop=shop, resolved_at=None).exists()
