"""Every page of the app (tests/pages.py) in real Chromium, embedded in the sandbox's admin
and standalone, in English and German, with the demo's data: axe-core finds no serious or
critical violation, and at 360 × 740 nothing is wider than the screen."""

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.pages import PAGES, demo_shop

BLOCKING = {"serious", "critical"}
SMALL_SCREEN = {"width": 360, "height": 740}
axe = Axe()


def violations(frame: Any) -> list[str]:
    results = axe.run(frame).response
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


# axe reports an aria-describedby naming a missing id only as "needs review"; the merchant's
# screen reader reads nothing for it, so it is checked here, with the banners' roles.
PAGE_CHECKS = """() => {
  const found = [];
  for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
    for (const attr of ["aria-describedby", "aria-labelledby"]) {
      for (const id of (el.getAttribute(attr) || "").split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) found.push(`${attr}=${id} names no element`);
      }
    }
  }
  for (const banner of document.querySelectorAll("s-banner")) {
    const inRegion = banner.closest("[role=status], [role=alert]");
    const want = banner.getAttribute("tone") === "critical" ? "alert" : "status";
    const role = banner.getAttribute("role");
    if (!inRegion && role !== want) found.push(`banner without role ${want}`);
  }
  if (document.querySelectorAll("h1").length !== 1) found.push("not exactly one h1");
  return found;
}"""


def too_wide(frame: Any) -> int | None:
    width = frame.evaluate("document.documentElement.scrollWidth")
    return width if width > SMALL_SCREEN["width"] else None


def standalone(page: Any, app_url: str) -> Callable[[str], Any]:
    def open_page(path: str) -> Any:
        page.goto(f"{app_url}{path}")
        page.wait_for_selector("h1.page-title")
        return page.main_frame

    return open_page


def embedded(page: Any, admin_url: Callable[..., str], domain: str) -> Callable[[str], Any]:
    def open_page(path: str) -> Any:
        page.goto(admin_url(domain, path.lstrip("/")))
        page.frame_locator("#app-iframe").locator("h1.page-title").wait_for()
        return page.frame(name="app-iframe")

    return open_page


def navigation(frame: Any) -> str:
    """Which navigation the page draws: "admin" (ui-nav-menu only), "in-page" or "both"."""
    menu, nav = frame.locator("ui-nav-menu").count(), frame.locator("nav.app-nav").count()
    return {(1, 0): "admin", (0, 1): "in-page"}.get((menu, nav), f"menu={menu} nav={nav}")


def every_page(open_page: Callable[[str], Any], shop: Any, *, nav: str) -> dict[str, list[str]]:
    """The failures per page: axe's blocking violations, broken references, a too wide
    document, the wrong navigation."""
    failures: dict[str, list[str]] = {}
    for page_spec in PAGES:
        path = page_spec.path(shop)
        frame = open_page(path)
        found = violations(frame) + frame.evaluate(PAGE_CHECKS)
        if (drawn := navigation(frame)) != nav:
            found.append(f"navigation {drawn}, expected {nav}")
        if (width := too_wide(frame)) is not None:
            found.append(f"scrollWidth {width} > 360")
        if found:
            failures[path] = found
    return failures


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_standalone_page_is_accessible_and_fits_360px(
    browser: Any, sandbox: Any, demo_login: Any, app_url: str, language: str
) -> None:
    shop = demo_shop(sandbox, locale=language)
    page = demo_login(shop)
    page.set_viewport_size(SMALL_SCREEN)
    assert every_page(standalone(page, app_url), shop, nav="in-page") == {}


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_embedded_page_is_accessible_and_fits_360px(
    page: Any, sandbox: Any, shopify_admin: Any, language: str
) -> None:
    shop = demo_shop(sandbox, locale=language)
    # The app's frame gets the width of a phone: the admin's own chrome is not ours to test.
    page.set_viewport_size({"width": 360 + 14 * 16, "height": SMALL_SCREEN["height"]})
    failures = every_page(embedded(page, shopify_admin, shop.domain), shop, nav="admin")
    assert failures == {}
