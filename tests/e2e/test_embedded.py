"""The embedded path in real Chromium: the sandbox's Shopify admin frames the live app, and
App Bridge's stand-in supplies session tokens
(https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens)."""

from typing import Any

import jwt
from django.conf import settings
from playwright.sync_api import expect

from salestio.models import Shop

SHOP = "embedded-shop.myshopify.com"
# The admin draws the app's <ui-nav-menu> under the app's name; "Dashboard" is its home link.
NAVIGATION = ["Accounts", "Orders", "Listings", "Plans", "Settings", "Email history"]


def _open(page: Any, admin_url: str) -> Any:
    page.goto(admin_url)
    app = page.frame_locator("#app-iframe")
    expect(app.locator("h1.page-title")).to_have_text("Dashboard")
    return app


def test_the_admin_draws_the_apps_navigation_and_the_frame_has_none(
    page: Any, shopify_admin: Any
) -> None:
    app = _open(page, shopify_admin(SHOP))
    expect(page.locator("#app-nav-menu a")).to_have_text(NAVIGATION)
    assert app.locator("ui-nav-menu a").count() == len(NAVIGATION) + 1
    assert app.locator("nav.app-nav").count() == 0
    assert Shop.objects.get(domain=SHOP).has_usable_token()


def app_documents(page: Any) -> list[str]:
    """Every document the app's frame loads from now on (bounces included)."""
    loads: list[str] = []
    page.on(
        "request",
        lambda r: (
            loads.append(r.url)
            if r.resource_type == "document" and r.frame.name == "app-iframe"
            else None
        ),
    )
    return loads


def settings_loads(page: Any, app: Any, link: Any) -> list[str]:
    """The app's document loads caused by clicking `link`, which leads to Settings."""
    loads = app_documents(page)
    link.click()
    expect(app.locator("h1.page-title")).to_have_text("Settings")
    page.wait_for_load_state("load")
    return loads


def test_the_admins_menu_loads_the_page_once_with_a_session_token(
    page: Any, shopify_admin: Any
) -> None:
    app = _open(page, shopify_admin(SHOP))
    loads = settings_loads(page, app, page.locator("#app-nav-menu a", has_text="Settings"))
    assert len(loads) == 1 and "/settings/?id_token=" in loads[0], loads


def test_a_link_inside_the_frame_loads_one_document_not_a_bounce(
    page: Any, shopify_admin: Any
) -> None:
    app = _open(page, shopify_admin(SHOP))
    link = app.locator("a", has_text="Choose the emails you want in Settings")
    loads = settings_loads(page, app, link)
    assert len(loads) == 1 and "/settings/?id_token=" in loads[0], loads
    assert not any("/auth/patch-id-token" in url for url in loads)


def test_a_form_inside_the_frame_posts_with_the_session_token_and_no_cookie(
    page: Any, shopify_admin: Any, app_url: str
) -> None:
    app = _open(page, shopify_admin(SHOP))
    app.locator("#language").select_option("de")
    posted = page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/locale"))
    # fetch follows the redirect itself (same origin keeps the Authorization header) and
    # forms.js shows that page: no bounce round trip.
    followed = page.expect_request(lambda r: r.method == "GET" and r.url == f"{app_url}/")
    with posted as post, followed as follow:
        app.locator("#language-form button").click()
    assert follow.value.all_headers()["authorization"].startswith("Bearer ")
    headers = post.value.all_headers()
    token = headers["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(
        token, settings.SHOPIFY_API_SECRET, algorithms=["HS256"], audience=settings.SHOPIFY_API_KEY
    )
    assert claims["dest"] == f"https://{SHOP}"
    assert "cookie" not in headers
    assert page.context.cookies(app_url) == []
    assert Shop.objects.get(domain=SHOP).locale == "de"
    expect(app.locator("#language")).to_have_value("de")


def test_an_admin_on_an_origin_the_app_does_not_allow_cannot_frame_it(
    page: Any, shopify_admin: Any, sandbox: Any, app_url: str
) -> None:
    foreign = sandbox.url.replace("127.0.0.1", "localhost")
    with page.expect_response(lambda r: r.url.startswith(f"{app_url}/?")) as framed:
        page.goto(shopify_admin(SHOP, origin=foreign))
    policy = framed.value.headers["content-security-policy"]
    assert framed.value.status == 200
    assert policy == f"frame-ancestors https://{SHOP} {sandbox.url};"
    page.wait_for_load_state("load")
    frame = page.frame(name="app-iframe")
    assert frame.url.startswith("chrome-error://")
    assert frame.locator("h1.page-title").count() == 0


def test_a_filter_form_inside_the_frame_loads_one_document(page: Any, shopify_admin: Any) -> None:
    page.goto(shopify_admin(SHOP, "notifications/"))
    app = page.frame_locator("#app-iframe")
    expect(app.locator("h1.page-title")).to_have_text("Email history")
    loads = app_documents(page)
    app.locator("#history-category").select_option("plan_limit")
    with page.expect_request(lambda r: "category=plan_limit" in r.url):
        app.get_by_role("button", name="Apply filter").click()
    expect(app.locator("h1.page-title")).to_have_text("Email history")
    page.wait_for_load_state("load")
    assert len(loads) == 1 and "category=plan_limit" in loads[0] and "id_token=" in loads[0]
