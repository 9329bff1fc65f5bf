"""Connecting each marketplace over real HTTP to the sandbox, and secrets at rest."""

from typing import Any

import pytest
from django.db import connection

from accounts.models import Account
from salestio.models import Shop

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("marketplace", ["amazon", "ebay", "etsy"])
def test_connect_stores_working_credentials(
    connect: Any, shop: Shop, sims: Any, marketplace: str
) -> None:
    account = connect(shop, marketplace)
    assert account.status == Account.Status.ACTIVE
    assert account.external_id
    assert account.refresh_token in getattr(sims, marketplace).book.refresh
    assert account.reauthorize_by is not None and account.next_check_at is not None


@pytest.mark.parametrize("marketplace", ["amazon", "ebay", "etsy"])
def test_stored_secret_is_not_readable_in_the_row(
    connect: Any, shop: Shop, marketplace: str
) -> None:
    account = connect(shop, marketplace)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM accounts_account WHERE id = %s", [account.pk]
        )
        raw_access, raw_refresh = cursor.fetchone()
    assert account.refresh_token not in raw_refresh and account.access_token not in raw_access
    assert raw_refresh.startswith("gAAAAA")  # a Fernet token


def test_callback_redirects_into_the_shopify_admin(
    shop_client: Any, shop: Shop, sims: Any, settings: Any
) -> None:
    from tests.accounts.conftest import approve, callback, consent_url_from

    client = shop_client(shop)
    url = consent_url_from(client, client.post("/accounts/connect/etsy/", {"etsy-name": "Mugs"}))
    response = callback(client, approve(url, sims.etsy.default_user))
    account = Account.objects.get(shop=shop)
    assert response["Location"] == (
        f"{settings.SHOPIFY_ADMIN_ORIGIN}/store/shop-a/apps/{settings.SHOPIFY_API_KEY}"
        f"/accounts/{account.pk}/edit?restored=1"
    )
