"""The standalone demo path: a browser session instead of session tokens."""

from typing import Any

from salestio.models import Shop


def test_demo_login_opens_the_dashboard_with_navigation(demo_login: Any, shop: Shop) -> None:
    page = demo_login(shop)
    assert page.locator("h1.page-title").inner_text() == "Dashboard"
    nav = page.locator("nav.app-nav a").all_inner_texts()
    assert nav == [
        "Dashboard",
        "Accounts",
        "Orders",
        "Listings",
        "Plans",
        "Settings",
        "Email history",
    ]
    assert page.locator("ui-nav-menu").count() == 0


def test_demo_login_is_absent_without_demo_mode(page: Any, app_url: str, settings: Any) -> None:
    settings.DEBUG, settings.DEMO_MODE = True, False
    response = page.goto(f"{app_url}/demo/login")
    assert response.status == 404
