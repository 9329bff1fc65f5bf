"""The Update Error path in Chromium: a listing the sandbox eBay refused shows its message
under the Error filter; after the fix in the sandbox, Update turns it live. The dashboard's
counters match the listings page's."""

from typing import Any

from playwright.sync_api import Page, expect

from listings import services
from listings.models import Listing
from tests.listings.fixtures import Sims


def _listing_in_update_error(sims: Sims, store: Any, connect: Any, link_all: Any) -> Listing:
    variant = sims.shopify.catalog.add_variant(store.domain, sku="MUG-ZERO", available=3)
    sims.shopify.catalog.add_variant(store.domain, sku="MUG-FINE", available=2)
    account = connect(store, "ebay")
    sims.ebay.add_item(
        account.external_id, "501", sku="MUG-ZERO", quantity=3, out_of_stock_control=False
    )
    sims.ebay.add_item(account.external_id, "502", sku="MUG-FINE", quantity=2)
    link_all(store, account)
    sims.shopify.catalog.set_available(store.domain, variant.inventory_item_id, 1001, 0)
    link_all(store, account)  # the reconciliation brings the 0
    services.push_account(
        account=account, now=services.timezone.now() + services.timedelta(seconds=5)
    )
    broken = Listing.objects.get(sku="MUG-ZERO")
    assert broken.status == Listing.Status.UPDATE_ERROR
    return broken


def test_filter_error_read_the_message_press_update_and_it_turns_live(
    demo_login: Any, app_url: str, sims: Sims, store: Any, connect: Any, link_all: Any
) -> None:
    broken = _listing_in_update_error(sims, store, connect, link_all)
    page: Page = demo_login(store)
    page.goto(f"{app_url}/listings/")
    page.get_by_label("Status").select_option("update_error")
    page.get_by_role("button", name="Show").click()

    row = page.locator(f"tr[data-listing='{broken.pk}']")
    expect(row).to_contain_text("Quantity is not valid")
    expect(page.locator("tr[data-listing]")).to_have_count(1)

    sims.ebay.items[broken.account.external_id]["501"]["OutOfStockControl"] = True  # the fix
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Update", exact=True).click()
    page.goto(f"{app_url}/listings/?q=MUG-ZERO")

    expect(page.locator(f"tr[data-listing='{broken.pk}']")).to_have_attribute("data-status", "live")
    assert sims.ebay.items[broken.account.external_id]["501"]["Quantity"] == 0


def test_the_dashboard_counters_match_the_listings_page(
    demo_login: Any, app_url: str, sims: Sims, store: Any, connect: Any, link_all: Any
) -> None:
    _listing_in_update_error(sims, store, connect, link_all)
    page: Page = demo_login(store)

    dashboard = {
        kind: page.locator(
            f"#listing-counters tr[data-marketplace='ebay'] a[data-counter='{kind}']"
        ).inner_text()
        for kind in ("live", "error", "pending", "not_active")
    }
    page.goto(f"{app_url}/listings/")
    listings = {
        kind: page.locator(
            f"#account-counters tr[data-marketplace='ebay'] a[data-counter='{kind}']"
        ).inner_text()
        for kind in ("live", "error", "pending", "not_active")
    }

    assert dashboard == listings == {"live": "1", "error": "1", "pending": "0", "not_active": "0"}
    page.goto(f"{app_url}/")
    page.locator("#listing-counters a[data-counter='error']").click()
    expect(page.locator("tr[data-listing]")).to_have_count(1)
