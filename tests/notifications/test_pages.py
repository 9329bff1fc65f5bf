"""The settings page, the email history and the dashboard's notice, as the embedded app serves
them (session token on every request); every query is scoped to the token's shop."""

import re
from collections.abc import Callable
from typing import Any

from django.core import mail
from django.urls import reverse

from notifications import selectors, services
from notifications.models import (
    SETTINGS_CATEGORIES,
    BouncedAddress,
    Category,
    Email,
    NotificationSettings,
)
from salestio.models import Shop
from tests.notifications.conftest import CONTEXTS

SETTINGS = "/settings/"
ORDER = Category.ORDER_IMPORT_FAILED


def form(**fields: Any) -> dict[str, Any]:
    """What the browser posts: ticked boxes are present, unticked ones absent."""
    return {
        "language": "en",
        **{name: "on" for name, value in fields.items() if value is True},
        **{name: value for name, value in fields.items() if not isinstance(value, bool)},
    }


def test_the_page_offers_every_category_unticked_and_the_shop_email(
    shop: Shop, shop_client: Any
) -> None:
    page = shop_client(shop).get(SETTINGS).content.decode()
    for category in SETTINGS_CATEGORIES:
        assert f'name="{category}"' in page and str(category.label) in page
    assert re.search(r'<input[^>]*name="use_shop_email"[^>]*checked', page)
    assert page.count("checked") == 1  # all categories start off, as the seed's product does
    assert "owner@shop-a.myshopify.com" in page
    assert "Send test email" in page


def test_saving_toggles_categories_and_address(shop: Shop, shop_client: Any) -> None:
    response = shop_client(shop).post(
        SETTINGS,
        form(order_import_failed=True, listing_update_failed=True, email="Ops@Example.com"),
    )
    assert response.status_code == 302 and response["Location"] == SETTINGS
    prefs = NotificationSettings.objects.get(shop=shop)
    assert [c for c in SETTINGS_CATEGORIES if prefs.is_enabled(c)] == [
        Category.ORDER_IMPORT_FAILED,
        Category.LISTING_UPDATE_FAILED,
    ]
    assert prefs.address == "ops@example.com" and not prefs.use_shop_email


def test_an_invalid_address_shows_the_error_and_saves_nothing(shop: Shop, shop_client: Any) -> None:
    response = shop_client(shop).post(
        SETTINGS, form(order_import_failed=True, email="not-an-email")
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not NotificationSettings.objects.exists()


def test_without_the_shop_email_an_address_is_required(shop: Shop, shop_client: Any) -> None:
    response = shop_client(shop).post(SETTINGS, form(order_import_failed=True))
    assert "Enter the email address for notifications." in response.content.decode()
    assert not NotificationSettings.objects.exists()


def test_the_shop_email_ignores_the_hidden_field(shop: Shop, shop_client: Any) -> None:
    shop_client(shop).post(SETTINGS, form(use_shop_email=True, plan_limit=True, email="junk"))
    assert selectors.notification_settings(shop=shop).address == "owner@shop-a.myshopify.com"


def test_the_shop_email_needs_one_from_shopify(
    make_shop: Callable[..., Shop], shop_client: Any
) -> None:
    shop = make_shop(owner_email="")
    response = shop_client(shop).post(SETTINGS, form(use_shop_email=True))
    assert "has not told us the shop owner&#x27;s email" in response.content.decode()


def test_a_bounced_address_is_refused(shop: Shop, shop_client: Any) -> None:
    BouncedAddress.objects.create(shop=shop, address="ops@example.com")
    response = shop_client(shop).post(SETTINGS, form(email="ops@example.com"))
    assert "Emails to ops@example.com bounced" in response.content.decode()


def test_the_email_language_defaults_to_the_shops_language(
    make_shop: Callable[..., Shop], shop_client: Any
) -> None:
    page = shop_client(make_shop(locale="de")).get(SETTINGS).content.decode()
    assert '<option value="" selected>Wie die App (Deutsch)</option>' in page


def test_saving_without_an_email_language_keeps_following_the_shop(
    make_shop: Callable[..., Shop], shop_client: Any
) -> None:
    shop = make_shop(locale="de")
    response = shop_client(shop).post(SETTINGS, form(use_shop_email=True, language=""))
    assert response.status_code == 302
    assert NotificationSettings.objects.get(shop=shop).language == ""


def test_the_test_email_button_sends_through_the_outbox(
    shop: Shop, enable: Any, shop_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    client = shop_client(shop)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:test-email"))
    assert mail.outbox[0].to == ["owner@shop-a.myshopify.com"]
    page = client.get(response["Location"]).content.decode()
    assert "Test email to owner@shop-a.myshopify.com: Sent." in page


def test_the_test_email_without_an_address_says_why(
    make_shop: Callable[..., Shop], shop_client: Any
) -> None:
    client = shop_client(make_shop(owner_email=""))
    page = client.get(client.post(reverse("notifications:test-email"))["Location"]).content.decode()
    assert "No test email was sent: No email address." in page


def test_history_shows_category_status_delivery_and_opens_the_email(
    shop: Shop, enable: Any, shop_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop, ORDER)
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.notify(shop=shop, category=ORDER, key="order:1", context=CONTEXTS[ORDER])
    services.notify(
        shop=shop, category=Category.PLAN_LIMIT, key="plan", context=CONTEXTS["plan_limit"]
    )
    Email.objects.update(delivery_status=Email.Delivery.DELIVERED)
    client = shop_client(shop)
    page = client.get(reverse("notifications:history")).content.decode()
    assert "Failed order import" in page and "Order 302-1234567-7654321 (Amazon)" in page
    assert "Sent" in page and "Delivered" in page
    assert "Plan limit nearly reached or exceeded" in page and "Category is switched off" in page

    detail = client.get(reverse("notifications:detail", args=[sent.pk])).content.decode()
    assert "Order 302-1234567-7654321 from Amazon could not be imported into Shopify" in detail
    assert "srcdoc=" in detail and "List-Unsubscribe: &lt;http" in detail


def test_history_filters_by_category(shop: Shop, shop_client: Any) -> None:
    services.notify(shop=shop, category=ORDER, key="order:1", context=CONTEXTS[ORDER])
    services.notify(
        shop=shop, category=Category.PLAN_LIMIT, key="plan", context=CONTEXTS["plan_limit"]
    )
    page = shop_client(shop).get(reverse("notifications:history"), {"category": "plan_limit"})
    assert page.content.decode().count("<tr data-notification=") == 1


def test_another_shops_notification_is_not_found(
    make_shop: Callable[..., Shop], shop_client: Any
) -> None:
    shop_a, shop_b = make_shop("shop-a.myshopify.com"), make_shop("shop-b.myshopify.com")
    theirs = services.notify(shop=shop_a, category=ORDER, key="order:1", context=CONTEXTS[ORDER])
    client = shop_client(shop_b)
    assert client.get(reverse("notifications:detail", args=[theirs.pk])).status_code == 404
    assert "302-1234567" not in client.get(reverse("notifications:history")).content.decode()


def test_the_dashboard_says_when_no_email_is_switched_on(
    shop: Shop, enable: Any, shop_client: Any
) -> None:
    client = shop_client(shop)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Email notifications are off" in page and f'href="{SETTINGS}"' in page
    enable(shop, ORDER)
    assert "Email notifications are off" not in client.get(reverse("dashboard")).content.decode()


def test_the_dashboard_lists_recent_problems(shop: Shop, shop_client: Any) -> None:
    notification = services.notify(
        shop=shop, category=ORDER, key="order:1", context=CONTEXTS[ORDER]
    )
    page = shop_client(shop).get(reverse("dashboard")).content.decode()
    assert reverse("notifications:detail", args=[notification.pk]) in page


def test_a_german_shop_gets_the_settings_page_in_german(
    make_shop: Callable[..., Shop], shop_client: Any
) -> None:
    page = shop_client(make_shop(locale="de")).get(SETTINGS).content.decode()
    for german in (
        "Fehlgeschlagener Bestellimport",
        "Fehlgeschlagene Produktaktualisierungen",
        "Standard-Shop-E-Mail für Benachrichtigungen verwenden",
        "Speichern",
        "Test-E-Mail senden",
    ):
        assert german in page


def test_the_embedded_settings_page_sets_no_cookie(shop: Shop, shop_client: Any) -> None:
    response = shop_client(shop).get(SETTINGS)
    assert 'name="use_shop_email"' in response.content.decode()
    # No CSRF cookie (salestio.context_processors blanks {% csrf_token %} when embedded), no
    # session: a third-party cookie would not survive the admin iframe.
    assert response.cookies == {}


def test_saving_embedded_confirms_on_the_next_page_without_cookies(
    shop: Shop, shop_client: Any
) -> None:
    client = shop_client(shop)
    posted = client.post(SETTINGS, form(order_import_failed=True, use_shop_email=True))
    assert posted.status_code == 302
    shown = client.get(posted["Location"])
    assert "Settings saved." in shown.content.decode()
    # Set-Cookie headers come from response.cookies (the handler writes them out).
    assert posted.cookies == {} and shown.cookies == {}
    assert client.cookies == {}  # nor did an earlier response leave one to send back
    # Shown once: the admin reloading the page (its URL is the redirect's) does not repeat it.
    assert "Settings saved." not in client.get(posted["Location"]).content.decode()
