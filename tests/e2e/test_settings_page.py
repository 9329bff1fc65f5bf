"""The settings page in Chromium (standalone demo mode, CDN scripts blocked): plain forms,
our own small script for hiding the address field."""

from typing import Any

from django.core import mail
from playwright.sync_api import Page, expect

from notifications import selectors
from notifications.models import NotificationSettings
from salestio.models import Shop

ORDER_IMPORT = "Failed order import"
UPDATE_ERROR = "Failed product updates (Update Error)"
FULFILLMENT = "Failed fulfillment status on Amazon, eBay or Etsy"
USE_SHOP_EMAIL = "Use default shop email for notifications"


def open_settings(demo_login: Any, app_url: str, shop: Shop) -> Page:
    page: Page = demo_login(shop)
    page.goto(f"{app_url}/settings/")
    return page


def save(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()


def test_two_toggled_categories_stay_toggled_after_save_and_reload(
    demo_login: Any, app_url: str, shop: Shop
) -> None:
    page = open_settings(demo_login, app_url, shop)
    page.get_by_label(ORDER_IMPORT).check()
    page.get_by_label(UPDATE_ERROR).check()
    save(page)
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label(ORDER_IMPORT)).to_be_checked()
    expect(page.get_by_label(UPDATE_ERROR)).to_be_checked()
    expect(page.get_by_label(FULFILLMENT)).not_to_be_checked()


def test_use_default_shop_email_hides_the_field_and_the_owner_gets_the_mail(
    demo_login: Any, app_url: str, shop: Shop
) -> None:
    page = open_settings(demo_login, app_url, shop)
    address = page.get_by_label("Email address")
    page.get_by_label(USE_SHOP_EMAIL).uncheck()
    expect(address).to_be_visible()
    address.fill("ops@example.com")
    page.get_by_label(USE_SHOP_EMAIL).check()
    expect(address).to_be_hidden()
    expect(page.get_by_text("owner@shop-a.myshopify.com")).to_be_visible()
    save(page)

    assert selectors.notification_settings(shop=shop).address == "owner@shop-a.myshopify.com"
    page.get_by_role("button", name="Send test email").click()
    expect(page.get_by_text("Test email to owner@shop-a.myshopify.com: Sent.")).to_be_visible()
    assert [message.to for message in mail.outbox] == [["owner@shop-a.myshopify.com"]]


def test_an_invalid_address_is_shown_at_its_field_and_nothing_is_saved(
    demo_login: Any, app_url: str, shop: Shop
) -> None:
    page = open_settings(demo_login, app_url, shop)
    page.get_by_label(ORDER_IMPORT).check()
    page.get_by_label(USE_SHOP_EMAIL).uncheck()
    page.get_by_label("Email address").fill("not-an-email")
    save(page)
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("Email address")).to_be_visible()
    assert not NotificationSettings.objects.filter(shop=shop).exists()
