"""The Accounts pages, the demo's plain-HTML path, and eBay's account-deletion endpoint."""

import hashlib
import json
from typing import Any

import pytest

from accounts.models import Account

pytestmark = pytest.mark.django_db


def test_list_shows_each_account_with_status_and_connect_forms(
    connect: Any, shop: Any, shop_client: Any
) -> None:
    account = connect(shop, "ebay", name="Main eBay")
    Account.objects.filter(pk=account.pk).update(status="error", last_error="boom")
    page = shop_client(shop).get("/accounts/").content.decode()
    assert "Main eBay" in page and "status-error" in page
    for marketplace in ("amazon", "ebay", "etsy"):
        assert f'action="/accounts/connect/{marketplace}/"' in page


def test_connect_form_errors_rerender_the_list(shop: Any, shop_client: Any) -> None:
    response = shop_client(shop).post("/accounts/connect/amazon/", {"amazon-name": ""})
    assert response.status_code == 400 and not Account.objects.exists()


def test_save_account_outside_the_admin_redirects_to_the_consent_page(
    shop: Any, client: Any, settings: Any, sandbox: Any
) -> None:
    from accounts.services import create_account

    settings.DEBUG, settings.DEMO_MODE = True, True
    session = client.session
    session["demo_shop_id"] = shop.pk
    session.save()
    account = create_account(shop=shop, marketplace="amazon", name="A", site="DE")
    response = client.post(f"/accounts/{account.pk}/edit", {"name": "Renamed", "site": "FR"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{sandbox.url}/amazon/apps/authorize/consent?")
    assert Account.objects.get(pk=account.pk).name == "Renamed"


def test_ebay_deletion_challenge(client: Any, settings: Any) -> None:
    settings.EBAY_DELETION_VERIFICATION_TOKEN = "token-of-at-least-32-characters-long"
    response = client.get("/accounts/ebay/account-deletion?challenge_code=abc")
    endpoint = f"{settings.SHOPIFY_APP_URL}/accounts/ebay/account-deletion"
    expected = hashlib.sha256(f"abc{settings.EBAY_DELETION_VERIFICATION_TOKEN}{endpoint}".encode())
    assert response.json() == {"challengeResponse": expected.hexdigest()}


def deletion_body(user: str) -> bytes:
    return json.dumps(
        {
            "metadata": {"topic": "MARKETPLACE_ACCOUNT_DELETION", "schemaVersion": "1.0"},
            "notification": {
                "notificationId": "n-1",
                "eventDate": "2026-01-01T00:00:00.000Z",
                "data": {"username": user, "userId": "ma8vp1jySJC"},
            },
        }
    ).encode()


def test_signed_ebay_deletion_disconnects_that_seller(
    connect: Any, shop: Any, sims: Any, client: Any
) -> None:
    account = connect(shop, "ebay")
    body = deletion_body(account.external_id)
    response = client.post(
        "/accounts/ebay/account-deletion",
        body,
        content_type="application/json",
        HTTP_X_EBAY_SIGNATURE=sims.ebay.sign_notification(body),
    )
    assert response.status_code == 204
    assert Account.objects.get(pk=account.pk).status == Account.Status.EXPIRED


def test_ebay_deletion_with_a_bad_signature_is_refused(
    connect: Any, shop: Any, sims: Any, client: Any
) -> None:
    account = connect(shop, "ebay")
    signature = sims.ebay.sign_notification(deletion_body("someone-else"))
    response = client.post(
        "/accounts/ebay/account-deletion",
        deletion_body(account.external_id),
        content_type="application/json",
        HTTP_X_EBAY_SIGNATURE=signature,
    )
    assert response.status_code == 412
    assert Account.objects.get(pk=account.pk).status == Account.Status.ACTIVE
