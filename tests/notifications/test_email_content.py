"""Each category's email in both languages, sent for real over SMTP to a local aiosmtpd server
and read back from the received MIME: subject, text part, HTML part and headers."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from notifications import services
from notifications.models import Category, Email, NotificationSettings
from notifications.tasks import flush_digests
from salestio.models import Shop
from salestio.services import set_shop_locale
from tests.notifications.conftest import CONTEXTS, Inbox, Received
from tests.notifications.mime import flat, html_text

ADMIN_APP = "https://admin.shopify.com/store/shop-a/apps/test-api-key"
# (subject, a phrase of the body) per category and language, for the contexts in conftest.
WORDING = {
    Category.ORDER_IMPORT_FAILED: {
        "en": (
            "Order 302-1234567-7654321 from Amazon could not be imported into Shopify",
            "Error:",
        ),
        "de": (
            "Bestellung 302-1234567-7654321 von Amazon konnte nicht in Shopify importiert werden",
            "Fehler:",
        ),
    },
    Category.FULFILLMENT_FAILED: {
        "en": ("Fulfillment status of order 12-34567-89012 could not be sent to eBay", "Error:"),
        "de": (
            "Fulfillment-Status der Bestellung 12-34567-89012 konnte nicht an eBay gesendet werden",
            "Fehler:",
        ),
    },
    Category.LISTING_UPDATE_FAILED: {
        "en": ("Update Error for SKU MUG-BLUE-M on Etsy", "run the Update action manually"),
        "de": ("Update-Fehler für SKU MUG-BLUE-M auf Etsy", "Aktualisierungsaktion manuell"),
    },
    Category.ACCOUNT_EXPIRED: {
        "en": ("Your Amazon account 'My Amazon account' has expired", "Reconnect the account"),
        "de": ("Ihr Amazon-Konto 'My Amazon account' ist abgelaufen", "Konto erneut verbinden"),
    },
    Category.PLAN_LIMIT: {
        "en": (
            "Order import was stopped: the subscription limit was exceeded",
            "GMV this billing period: €5,120.00 of €5,000.00",
        ),
        "de": (
            "Der Bestellimport wurde gestoppt: Das Abonnementlimit wurde überschritten",
            "GMV in diesem Abrechnungszeitraum: 5.120,00 € von 5.000,00 €",
        ),
    },
}
# What the seed says each email carries, and the page its link must open inside the admin.
CONTENT = {
    Category.ORDER_IMPORT_FAILED: (
        ("302-1234567-7654321", "No Shopify variant has the SKU 'MUG-RED-L'"),
        "/orders/41/",
    ),
    Category.FULFILLMENT_FAILED: (
        ("12-34567-89012", "Tracking number not valid for carrier DHL"),
        "/orders/?q=12-34567-89012",
    ),
    Category.LISTING_UPDATE_FAILED: (
        ("MUG-BLUE-M", "Quantity must be 999 or less"),
        "/listings/?q=MUG-BLUE-M",
    ),
    Category.ACCOUNT_EXPIRED: (("My Amazon account", "Amazon"), "/accounts/7/edit/"),
    Category.PLAN_LIMIT: ((), "/billing/"),  # the amounts, formatted per language: WORDING
}


def send_one(
    shop: Shop,
    category: Category,
    capture: Callable[..., Any],
    smtp: Inbox,
    context: dict[str, Any] | None = None,
) -> Received:
    with capture(execute=True):
        services.notify(
            shop=shop,
            category=category,
            key=f"{category}:1",
            context=context or CONTEXTS[category],
        )
    assert len(smtp.received) == 1, Email.objects.values_list("status", "last_error")
    return smtp.received[0]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("category", list(CONTENT))
def test_each_category_email_carries_what_the_seed_names(
    shop: Shop,
    enable: Any,
    smtp: Inbox,
    django_capture_on_commit_callbacks: Any,
    category: Category,
    language: str,
) -> None:
    enable(shop, language=language)
    received = send_one(shop, category, django_capture_on_commit_callbacks, smtp)
    subject, phrase = WORDING[category][language]
    facts, page = CONTENT[category]
    text = flat(received.part("text/plain"))
    html, links = html_text(received.part("text/html"))

    assert received.subject == subject
    for fact in facts:
        assert fact in text and fact in html
    assert phrase in text and phrase in html
    assert f"{ADMIN_APP}{page}" in text and f"{ADMIN_APP}{page}" in links


ACCOUNT = CONTEXTS[Category.ACCOUNT_EXPIRED]
# The account's other alerts share its category (accounts.health: warn_if_failing,
# _warn_expiring); each email says what happened to the account, and that it did not expire.
ACCOUNT_ALERTS = {
    "failing": {
        **ACCOUNT,
        "reason": "GetUser: 503 Service Unavailable",
        "failing_since": "2026-05-02",
    },
    "expiring": {**ACCOUNT, "reason": "reauthorization due", "expires_on": "2026-12-24"},
}
ALERT_WORDING = {
    ("failing", "en"): (
        "Your Amazon account 'My Amazon account' cannot be reached since May 2, 2026",
        (
            "Salestio cannot reach one of your marketplace accounts",
            "Cannot be reached since May 2, 2026.",
            "Last error: GetUser: 503 Service Unavailable",
            "Confirm connection",
        ),
    ),
    ("failing", "de"): (
        "Ihr Amazon-Konto 'My Amazon account' ist seit dem 02.05.2026 nicht erreichbar",
        (
            "Salestio kann eines Ihrer Marktplatzkonten nicht erreichen",
            "Seit dem 02.05.2026 nicht erreichbar.",
            "Letzter Fehler: GetUser: 503 Service Unavailable",
            "Verbindung bestätigen",
        ),
    ),
    ("expiring", "en"): (
        "Your Amazon account 'My Amazon account' expires on Dec 24, 2026",
        ("expires soon", "Expires on Dec 24, 2026.", "Reconnect the account"),
    ),
    ("expiring", "de"): (
        "Ihr Amazon-Konto 'My Amazon account' läuft am 24.12.2026 ab",
        ("läuft bald ab", "Läuft am 24.12.2026 ab.", "Konto erneut verbinden"),
    ),
}
# (in the subject, in the body) of an expired account's email; the footer names the category.
EXPIRED_WORDS = {"en": ("expired", ("inactive", "paused")), "de": ("abgelaufen", ("inaktiv",))}


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("alert", list(ACCOUNT_ALERTS))
def test_a_failing_or_expiring_account_email_says_so_not_that_it_expired(
    shop: Shop,
    enable: Any,
    smtp: Inbox,
    django_capture_on_commit_callbacks: Any,
    alert: str,
    language: str,
) -> None:
    enable(shop, language=language)
    received = send_one(
        shop,
        Category.ACCOUNT_EXPIRED,
        django_capture_on_commit_callbacks,
        smtp,
        ACCOUNT_ALERTS[alert],
    )
    subject, phrases = ALERT_WORDING[alert, language]
    text = flat(received.part("text/plain"))
    html, links = html_text(received.part("text/html"))

    assert received.subject == subject
    for phrase in phrases:
        assert phrase in text and phrase in html
    assert f"{ADMIN_APP}/accounts/7/edit/" in text and f"{ADMIN_APP}/accounts/7/edit/" in links
    in_subject, in_body = EXPIRED_WORDS[language]
    assert in_subject not in received.subject
    assert not [word for word in in_body if word in text or word in html]


def test_a_digest_of_account_alerts_says_what_happened_to_each_account(
    shop: Shop,
    enable: Any,
    smtp: Inbox,
    time_machine: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    enable(shop)
    alerts = [
        ("failing", ACCOUNT_ALERTS["failing"]),  # emailed at once, opening the window
        ("expired", {**ACCOUNT, "account_name": "Old shop"}),
        ("expiring", {**ACCOUNT_ALERTS["expiring"], "account_name": "EU shop"}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for key, context in alerts:
            services.notify(shop=shop, category=Category.ACCOUNT_EXPIRED, key=key, context=context)
    time_machine.move_to(
        timezone.now() + settings.NOTIFICATION_DIGEST_WINDOW + timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        flush_digests()

    _, digest = smtp.received
    text = flat(digest.part("text/plain"))
    assert digest.subject == "2 marketplace accounts need your attention"
    assert "2 marketplace accounts in Salestio need your attention." in text
    assert "'Old shop' (Amazon) Expired: product and order sync for this account is paused." in text
    assert "'EU shop' (Amazon) Expires on Dec 24, 2026." in text


@pytest.mark.parametrize("category", list(CONTENT))
def test_each_email_has_its_addresses_and_one_click_unsubscribe_headers(
    shop: Shop,
    enable: Any,
    smtp: Inbox,
    django_capture_on_commit_callbacks: Any,
    category: Category,
) -> None:
    enable(shop)
    received = send_one(shop, category, django_capture_on_commit_callbacks, smtp)
    email = Email.objects.get()
    header = received.header
    list_unsubscribe = header("List-Unsubscribe") or ""

    assert received.rcpt_tos == ["owner@shop-a.myshopify.com"] == [header("To")]
    assert header("From") == settings.DEFAULT_FROM_EMAIL
    assert header("Message-ID") == email.headers["Message-ID"]
    unsubscribe = f"{settings.SHOPIFY_APP_URL}/unsubscribe/{shop.pk}/{category}/"
    assert list_unsubscribe.startswith(f"<{unsubscribe}") and list_unsubscribe.endswith("/>")
    assert header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert list_unsubscribe.strip("<>") in html_text(received.part("text/html"))[1]


def test_the_stored_email_is_the_one_received(
    shop: Shop, enable: Any, smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    received = send_one(
        shop, Category.LISTING_UPDATE_FAILED, django_capture_on_commit_callbacks, smtp
    )
    email = Email.objects.get()
    assert email.status == Email.Status.SENT
    assert received.subject == email.subject
    assert flat(received.part("text/plain")) == flat(email.text)
    # SMTP carries CRLF line ends; the lines themselves must be the stored ones.
    assert received.part("text/html").strip().splitlines() == email.html.strip().splitlines()


def test_test_email_lists_the_enabled_categories_and_has_no_unsubscribe(
    shop: Shop, enable: Any, smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop, Category.ORDER_IMPORT_FAILED, email="ops@example.com", use_shop_email=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test_email(shop=shop)
    [received] = smtp.received
    assert received.rcpt_tos == ["ops@example.com"]
    assert received.subject == "Test email from Salestio for Shop-A"
    assert "Failed order import" in flat(received.part("text/plain"))
    assert "Failed product updates" not in flat(received.part("text/plain"))
    assert received.header("List-Unsubscribe") is None


def test_without_an_email_language_the_emails_follow_the_shops_language(
    make_shop: Callable[..., Shop],
    enable: Any,
    smtp: Inbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    shop = make_shop(locale="de")
    enable(shop, language="")
    order, listing = Category.ORDER_IMPORT_FAILED, Category.LISTING_UPDATE_FAILED
    german = send_one(shop, order, django_capture_on_commit_callbacks, smtp)
    assert german.subject == WORDING[order]["de"][0]
    set_shop_locale(shop=shop, locale="en")  # the merchant switched the app to English
    smtp.received.clear()
    english = send_one(shop, listing, django_capture_on_commit_callbacks, smtp)
    assert english.subject == WORDING[listing]["en"][0]


def test_settings_saved_without_a_language_follow_the_shops_language(
    make_shop: Callable[..., Shop], smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    """A row written by code that names no language (not the page) is no English default."""
    shop = make_shop(locale="de")
    NotificationSettings.objects.create(shop=shop, plan_limit=True)
    received = send_one(shop, Category.PLAN_LIMIT, django_capture_on_commit_callbacks, smtp)
    assert received.subject == WORDING[Category.PLAN_LIMIT]["de"][0]
