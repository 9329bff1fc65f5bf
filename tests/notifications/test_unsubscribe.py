"""One-click unsubscribe (RFC 8058): a signed link per shop and category; a POST turns exactly
that category off; forged links and other shops' signatures are refused."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from notifications import selectors, services
from notifications.links import unsubscribe_signature
from notifications.models import SETTINGS_CATEGORIES, Category
from salestio.models import Shop
from tests.notifications.conftest import CONTEXTS, Inbox

LISTING = Category.LISTING_UPDATE_FAILED


def link(shop_id: int, category: str, signature: str) -> str:
    return reverse(
        "notifications:unsubscribe",
        kwargs={"shop_id": shop_id, "category": category, "signature": signature},
    )


def enabled(shop: Shop) -> set[str]:
    prefs = selectors.notification_settings(shop=shop)
    return {str(category) for category in SETTINGS_CATEGORIES if prefs.is_enabled(category)}


def test_the_one_click_post_from_a_received_email_turns_off_exactly_that_category(
    shop: Shop, enable: Any, smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    enable(shop)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(shop=shop, category=LISTING, key="listing:1", context=CONTEXTS[LISTING])
    url = (smtp.received[0].header("List-Unsubscribe") or "").strip("<>")
    # A mail client's one-click request: no session, no CSRF token (RFC 8058 section 3.2).
    response = Client(enforce_csrf_checks=True).post(
        url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert enabled(shop) == {str(category) for category in SETTINGS_CATEGORIES} - {LISTING}


def test_get_only_asks_so_link_scanners_unsubscribe_nobody(
    shop: Shop, enable: Any, client: Client
) -> None:
    enable(shop)
    response = client.get(link(shop.pk, LISTING, unsubscribe_signature(shop.pk, LISTING)))
    assert response.status_code == 200 and b'<form method="post">' in response.content
    assert LISTING in enabled(shop)


@pytest.mark.parametrize("signature", ["forged", "A" * 43, ""])
def test_a_forged_signature_is_refused(
    shop: Shop, enable: Any, client: Client, signature: str
) -> None:
    enable(shop)
    url = f"/unsubscribe/{shop.pk}/{LISTING}/{signature}/"
    assert client.post(url).status_code in (400, 404)
    assert LISTING in enabled(shop)


def test_another_shops_signature_is_refused(
    make_shop: Callable[..., Shop], enable: Any, client: Client
) -> None:
    shop_a, shop_b = make_shop("shop-a.myshopify.com"), make_shop("shop-b.myshopify.com")
    enable(shop_a)
    response = client.post(link(shop_a.pk, LISTING, unsubscribe_signature(shop_b.pk, LISTING)))
    assert response.status_code == 400
    assert LISTING in enabled(shop_a)


def test_another_categorys_signature_is_refused(shop: Shop, enable: Any, client: Client) -> None:
    enable(shop)
    signature = unsubscribe_signature(shop.pk, Category.ORDER_IMPORT_FAILED)
    assert client.post(link(shop.pk, LISTING, signature)).status_code == 400
    assert enabled(shop) == {str(category) for category in SETTINGS_CATEGORIES}


def test_the_confirmation_is_in_the_email_language(shop: Shop, enable: Any, client: Client) -> None:
    enable(shop, language="de")
    response = client.post(link(shop.pk, LISTING, unsubscribe_signature(shop.pk, LISTING)))
    assert "Sie erhalten keine E-Mails mehr zu „Fehlgeschlagene Produktaktualisierungen" in (
        response.content.decode()
    )
