"""The merchant's Confirm connection flow in Chromium: dashboard banner → edit page →
Save account → the marketplace's consent page (sandbox) → back, connected, banner gone."""

import re
from typing import Any

from salestio.models import Shop


def test_confirm_connection_restores_an_expired_amazon_account(
    demo_login: Any, app_url: str, sandbox: Any, shop: Shop
) -> None:
    from accounts.models import Account
    from demo.accounts import seed
    from notifications.models import Banner

    seed(shop, sandbox_url=sandbox.url)
    account = Account.objects.get(shop=shop, marketplace="amazon")
    assert account.status == Account.Status.EXPIRED

    page = demo_login(shop)
    assert "Account 'My Amazon account' has expired" in page.content()
    amazon_banner = page.locator("s-banner", has_text="My Amazon account")
    amazon_banner.get_by_role("link", name="Confirm connection").click()
    page.wait_for_url(f"{app_url}/accounts/{account.pk}/edit")

    page.get_by_role("button", name="Save account").click()
    page.wait_for_url(re.compile(rf"^{re.escape(sandbox.url)}/amazon/apps/authorize/consent"))
    page.click("#approve")

    page.wait_for_url(f"{app_url}/accounts/{account.pk}/edit")
    assert page.locator(".status").first.inner_text() == "Active"
    page.goto(f"{app_url}/")
    assert "has expired" not in page.content()
    assert amazon_banner.count() == 0
    account.refresh_from_db()
    assert account.status == Account.Status.ACTIVE and account.sync_paused_at is None
    assert not Banner.objects.filter(shop=shop, subject=account.subject, resolved_at=None).exists()


def test_connecting_from_inside_the_admin_goes_through_the_start_url(
    page: Any, shopify_admin: Any, app_url: str, sandbox: Any
) -> None:
    """The consent page is a top-level navigation out of the admin iframe; the start URL sets
    its first-party cookie there, and the marketplace's redirect back brings it along."""
    from playwright.sync_api import expect

    from accounts.login import login_cookie_name
    from accounts.models import Account

    page.goto(shopify_admin("embedded-shop.myshopify.com", "accounts/"))
    app = page.frame_locator("#app-iframe")
    app.locator("#id_etsy-name").fill("Mugs")
    with page.expect_request(lambda r: "/accounts/oauth/start/" in r.url) as start:
        app.locator("form.connect-etsy button").click()
    page.wait_for_url(re.compile(rf"^{re.escape(sandbox.url)}/etsy/oauth/connect"))
    assert start.value.is_navigation_request() and start.value.frame == page.main_frame
    state = Account.objects.get().oauth_states.get()
    assert [c["name"] for c in page.context.cookies(app_url)] == [login_cookie_name(state.pk)]

    page.click("#approve")

    framed = page.frame_locator("#app-iframe")
    expect(framed.locator(".status")).to_have_text("Active")
    expect(framed.get_by_text("Connection restored.")).to_be_visible()
    assert Account.objects.get().status == Account.Status.ACTIVE
    assert page.context.cookies(app_url) == []  # the callback cleared it
