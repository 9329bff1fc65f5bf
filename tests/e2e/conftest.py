"""Real Chromium (Debian's package) driven by Playwright against the live Django server."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run beside
# one unless told that this (test-only) mix is intended.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    # The CDN scripts cannot load on this machine; pages must work without them anyway.
    context.route("https://cdn.shopify.com/**", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def app_url(live_server: Any, settings: Any) -> str:
    settings.SHOPIFY_APP_URL = live_server.url
    return str(live_server.url)


@pytest.fixture
def demo_login(page: Any, app_url: str, settings: Any) -> Callable[[Any], Any]:
    """Open the app standalone (demo mode: Django session + CSRF) as the given shop."""
    settings.DEBUG = True
    settings.DEMO_MODE = True

    def login(shop: Any) -> Any:
        page.goto(f"{app_url}/demo/login")
        page.click(f"button[value='{shop.pk}']")
        page.wait_for_url(f"{app_url}/")
        return page

    return login


@pytest.fixture
def shopify_admin(sandbox: Any, app_url: str, settings: Any) -> Callable[..., str]:
    """The sandbox's Shopify admin framing the live app: returns the admin URL of a store.

    The admin and the App Bridge stand-in are served from the sandbox's origin, which the app
    must accept as its admin origin (CSP frame-ancestors) and load App Bridge from."""
    sandbox.sandbox.config.app_url = app_url
    settings.SHOPIFY_ADMIN_ORIGIN = sandbox.url
    settings.SHOPIFY_APP_BRIDGE_URL = f"{sandbox.url}/shopify/cdn/app-bridge.js"

    def admin_url(domain: str, path: str = "", origin: str | None = None) -> str:
        handle = domain.removesuffix(".myshopify.com")
        app = f"{origin or sandbox.url}/store/{handle}/apps/{settings.SHOPIFY_API_KEY}"
        return f"{app}/{path}" if path else app

    return admin_url
