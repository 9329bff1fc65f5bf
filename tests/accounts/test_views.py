"""The Accounts pages, the demo's plain-HTML path, and eBay's account-deletion endpoint."""

import base64
import hashlib
import json
from typing import Any

import pytest

from accounts.models import Account
from notifications.models import Banner, Notification
from salestio.models import Shop
from tests.accounts.conftest import approve, callback, consent_url_from, open_start_url

pytestmark = pytest.mark.django_db


def test_list_shows_each_account_with_status_and_connect_forms(
    connect: Any, shop: Shop, shop_client: Any
) -> None:
    account = connect(shop, "ebay", name="Main eBay")
    Account.objects.filter(pk=account.pk).update(status="error", last_error="boom")
    page = shop_client(shop).get("/accounts/").content.decode()
    assert "Main eBay" in page and "status-error" in page
    for marketplace in ("amazon", "ebay", "etsy"):
        assert f'action="/accounts/connect/{marketplace}/"' in page


def test_connect_form_errors_rerender_the_list(shop: Shop, shop_client: Any) -> None:
    response = shop_client(shop).post("/accounts/connect/amazon/", {"amazon-name": ""})
    assert response.status_code == 400 and not Account.objects.exists()


def test_save_account_outside_the_admin_redirects_to_the_consent_page(
    shop: Shop, client: Any, settings: Any, sandbox: Any
) -> None:
    from accounts.login import create_account

    settings.DEBUG, settings.DEMO_MODE = True, True
    session = client.session
    session["demo_shop_id"] = shop.pk
    session.save()
    account = create_account(shop=shop, marketplace="amazon", name="A", site="DE")
    response = client.post(f"/accounts/{account.pk}/edit", {"name": "Renamed", "site": "FR"})
    assert response.status_code == 302
    consent_url = open_start_url(client, response["Location"])
    assert consent_url.startswith(f"{sandbox.url}/amazon/apps/authorize/consent?")
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


def deliver_deletion(client: Any, body: bytes, signature: str) -> Any:
    return client.post(
        "/accounts/ebay/account-deletion",
        body,
        content_type="application/json",
        HTTP_X_EBAY_SIGNATURE=signature,
    )


def test_signed_ebay_deletion_disconnects_that_seller_without_claiming_expiry(
    connect: Any, shop: Shop, sims: Any, client: Any, shop_client: Any
) -> None:
    account = connect(shop, "ebay")
    body = deletion_body(account.external_id)

    assert deliver_deletion(client, body, sims.ebay.sign_notification(body)).status_code == 204

    account = Account.objects.get(pk=account.pk)
    assert account.status == Account.Status.DISCONNECTED
    assert (account.external_id, account.access_token, account.refresh_token) == ("", "", "")
    assert account.paused_reason == Account.PauseReason.DELETED
    assert not Account.objects.syncable().exists() and account.next_check_at is None
    # Not "expired – reconnect": no login can bring a deleted eBay account back.
    assert not Banner.objects.filter(shop=shop, resolved_at=None).exists()
    assert not Notification.objects.filter(shop=shop).exists()
    page = shop_client(shop).get("/accounts/").content.decode()
    assert "status-disconnected" in page and "Deleted at eBay" in page


def test_ebay_deletion_reuses_the_application_token(
    connect: Any, shop: Shop, sims: Any, client: Any
) -> None:
    body = deletion_body("someone")
    unknown_key = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"  # shaped like eBay's, but not eBay's

    assert (
        deliver_deletion(
            client, body, sims.ebay.sign_notification(body, kid=unknown_key)
        ).status_code
        == 412
    )
    assert deliver_deletion(client, body, sims.ebay.sign_notification(body)).status_code == 204

    assert sims.ebay.public_key_requests == [unknown_key, sims.ebay.key_id]
    assert sims.ebay.app_token_grants == 1


@pytest.mark.parametrize("kid", ["../../identity/v1/oauth2/token", "sandbox-key-1", "g" * 32, ""])
def test_ebay_deletion_with_a_key_id_unlike_ebays_never_reaches_ebay(
    sims: Any, client: Any, kid: str
) -> None:
    body = deletion_body("someone")
    header = {"alg": "ecdsa", "kid": kid, "signature": "MEUCIQ==", "digest": "SHA1"}
    signature = base64.b64encode(json.dumps(header).encode()).decode()

    assert deliver_deletion(client, body, signature).status_code == 412

    assert sims.ebay.public_key_requests == [] and sims.ebay.app_token_grants == 0


def test_list_names_the_marketplace_site(connect: Any, shop: Shop, shop_client: Any) -> None:
    connect(shop, "ebay")
    connect(shop, "amazon")
    page = shop_client(shop).get("/accounts/").content.decode()
    assert '">eBay.de</td>' in page and '">Amazon.de</td>' in page
    assert "· 77" not in page


def expire(account: Account, sims: Any) -> None:
    from accounts.health import check_account

    sim = getattr(sims, account.marketplace)
    sim.book.revoke(account.external_id)
    check_account(account=Account.objects.select_related("shop").get(pk=account.pk))


def test_a_failed_reconnect_of_an_expired_account_shows_why(
    connect: Any, shop: Shop, sims: Any, shop_client: Any
) -> None:
    account = connect(shop, "amazon")
    expire(account, sims)
    client = shop_client(shop)
    consent = consent_url_from(
        client, client.post(f"/accounts/{account.pk}/edit", {"name": "A", "site": "DE"})
    )

    callback(client, approve(consent, "A2OTHERSELLER"))  # the wrong seller logged in

    page = client.get(f"/accounts/{account.pk}/edit").content.decode()
    assert "has expired" in page and "different seller" in page


def test_an_error_from_before_the_expiry_is_not_shown_as_current(
    connect: Any, shop: Shop, sims: Any, shop_client: Any
) -> None:
    from accounts.health import check_account

    account = connect(shop, "amazon")
    sims.amazon.fail_next(503, path="/orders")
    check_account(account=Account.objects.select_related("shop").get(pk=account.pk))
    expire(account, sims)

    page = shop_client(shop).get(f"/accounts/{account.pk}/edit").content.decode()
    assert "has expired" in page and 'class="last-error"' not in page


def test_an_abandoned_login_keeps_the_working_marketplace(
    connect: Any, shop: Shop, shop_client: Any
) -> None:
    account = connect(shop, "amazon")
    client = shop_client(shop)

    client.post(f"/accounts/{account.pk}/edit", {"name": "Main", "site": "US"})  # then gone

    account = Account.objects.get(pk=account.pk)
    assert (account.name, account.site, account.status) == ("Main", "DE", Account.Status.ACTIVE)


def test_a_completed_login_switches_to_the_new_marketplace(
    connect: Any, shop: Shop, sims: Any, shop_client: Any
) -> None:
    account = connect(shop, "amazon")
    client = shop_client(shop)
    consent = consent_url_from(
        client, client.post(f"/accounts/{account.pk}/edit", {"name": "A", "site": "US"})
    )
    assert Account.objects.get(pk=account.pk).site == "DE"

    assert callback(client, approve(consent, account.external_id)).status_code == 302

    assert Account.objects.get(pk=account.pk).site == "US"


def test_ebay_deletion_with_a_bad_signature_is_refused(
    connect: Any, shop: Shop, sims: Any, client: Any
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


def test_the_restored_confirmation_shows_only_for_an_active_account(
    connect: Any, shop: Shop, sims: Any, shop_client: Any
) -> None:
    account = connect(shop, "etsy")
    page = shop_client(shop).get(f"/accounts/{account.pk}/edit", {"restored": "1"})
    assert "Connection restored." in page.content.decode()
    Account.objects.filter(pk=account.pk).update(status=Account.Status.ERROR)
    page = shop_client(shop).get(f"/accounts/{account.pk}/edit", {"restored": "1"})
    assert "Connection restored." not in page.content.decode()
