"""The embedded path in real Chromium: the sandbox's Shopify admin frames the live app, and
App Bridge's stand-in supplies session tokens
(https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens)."""

from typing import Any

import jwt
from django.conf import settings
from playwright.sync_api import expect

from salestio.models import Shop

SHOP = "embedded-shop.myshopify.com"
NAVIGATION = ["Dashboard", "Accounts", "Orders", "Listings", "Plans", "Settings"]


def _open(page: Any, admin_url: str) -> Any:
    page.goto(admin_url)
    app = page.frame_locator("#app-iframe")
    expect(app.locator("h1.page-title")).to_have_text("Dashboard")
    return app


def test_the_admin_frames_the_dashboard_with_its_navigation(page: Any, shopify_admin: Any) -> None:
    app = _open(page, shopify_admin(SHOP))
    assert app.locator("nav.app-nav a").all_inner_texts() == NAVIGATION
    assert Shop.objects.get(domain=SHOP).has_usable_token()


def test_a_link_inside_the_frame_reloads_through_the_bounce_route(
    page: Any, shopify_admin: Any
) -> None:
    app = _open(page, shopify_admin(SHOP))
    with page.expect_request(lambda r: "/auth/patch-id-token?" in r.url) as bounce:
        app.locator("nav.app-nav a", has_text="Settings").click()
    expect(app.locator("h1.page-title")).to_have_text("Settings")
    assert "shopify-reload=%2Fsettings%2F" in bounce.value.url
    assert "/settings/?id_token=" in page.frame(name="app-iframe").url


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
