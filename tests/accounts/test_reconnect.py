"""Reconnect through Save account, and the OAuth state's refusals (which change nothing)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import time_machine
from django.core import signing
from django.db import connection
from django.utils import timezone

from accounts import credentials, health, login
from accounts.models import Account, OAuthState
from notifications.models import Banner, Notification
from salestio.models import Shop
from tests.accounts.conftest import approve, callback, consent_url_from
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db


def expired_account(connect: Any, shop: Shop, sims: Any) -> Account:
    account = connect(shop, "amazon")
    Account.objects.filter(pk=account.pk).update(sync_cursor=timezone.now() - timedelta(hours=3))
    sims.amazon.book.revoke(sims.amazon.default_user)
    health.check_account(account=Account.objects.select_related("shop").get(pk=account.pk))
    return Account.objects.get(pk=account.pk)


def save_account(client: Any, account: Account) -> str:
    """Press Save account on the edit page; returns the marketplace's consent URL."""
    response = client.post(f"/accounts/{account.pk}/edit", {"name": account.name, "site": "DE"})
    return consent_url_from(client, response)


def test_save_account_restores_the_connection_and_resumes_sync(
    connect: Any, shop: Shop, sims: Any, shop_client: Any
) -> None:
    account = expired_account(connect, shop, sims)
    cursor = account.sync_cursor
    client = shop_client(shop)

    response = callback(client, approve(save_account(client, account), account.external_id))

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == Account.Status.ACTIVE and account.sync_paused_at is None
    assert account.sync_cursor == cursor
    assert Account.objects.syncable().filter(pk=account.pk).exists()
    assert not Banner.objects.filter(shop=shop, resolved_at=None).exists()
    assert Notification.objects.get(shop=shop).closed_at is not None
    assert account.refresh_token in sims.amazon.book.live_refresh_tokens(account.external_id)


def refused(client: Any, url: str) -> None:
    response = callback(client, url)
    assert response.status_code == 400
    assert b"not valid" in response.content


def test_forged_state_is_refused_and_changes_nothing(
    connect: Any, shop: Shop, sims: Any, shop_client: Any
) -> None:
    account = expired_account(connect, shop, sims)
    client = shop_client(shop)
    url = approve(save_account(client, account), account.external_id)
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    params["state"] = params["state"][:-2] + ("AA" if not params["state"].endswith("AA") else "BB")

    refused(client, f"{parts.path}?{urlencode(params)}")

    assert Account.objects.get(pk=account.pk).status == Account.Status.EXPIRED
    assert OAuthState.objects.filter(account=account).latest("pk").used_at is None


def test_reused_state_is_refused(connect: Any, shop: Shop, sims: Any, shop_client: Any) -> None:
    account = expired_account(connect, shop, sims)
    client = shop_client(shop)
    url = approve(save_account(client, account), account.external_id)
    assert callback(client, url).status_code == 302
    token_after_first = Account.objects.get(pk=account.pk).refresh_token

    refused(client, url)

    assert Account.objects.get(pk=account.pk).refresh_token == token_after_first


def test_expired_state_is_refused(
    connect: Any, shop: Shop, sims: Any, shop_client: Any, settings: Any
) -> None:
    account = expired_account(connect, shop, sims)
    client = shop_client(shop)
    url = approve(save_account(client, account), account.external_id)

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.OAUTH_STATE_MAX_AGE + 5)):
        refused(client, url)

    assert Account.objects.get(pk=account.pk).status == Account.Status.EXPIRED


def test_state_naming_another_shops_account_is_refused(
    connect: Any, make_shop: Callable[..., Shop], shop: Shop, sims: Any, shop_client: Any
) -> None:
    account = expired_account(connect, shop, sims)
    other = make_shop("shop-b.myshopify.com")
    theirs = login.create_account(shop=other, marketplace="amazon", name="B", site="DE")
    client = shop_client(shop)
    url = approve(save_account(client, account), account.external_id)
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    payload = signing.loads(params["state"], salt=login.STATE_SALT)
    # Validly signed (as if our own server had minted it) but binding shop A's login to B.
    params["state"] = signing.dumps({**payload, "a": theirs.pk}, salt=login.STATE_SALT)

    refused(client, f"{parts.path}?{urlencode(params)}")

    assert Account.objects.get(pk=theirs.pk).status == Account.Status.PENDING
    assert Account.objects.get(pk=account.pk).status == Account.Status.EXPIRED


def test_callback_in_another_shops_demo_session_is_refused(
    connect: Any,
    make_shop: Callable[..., Shop],
    shop: Shop,
    sims: Any,
    shop_client: Any,
    client: Any,
    settings: Any,
) -> None:
    account = expired_account(connect, shop, sims)
    url = approve(save_account(shop_client(shop), account), account.external_id)
    other = make_shop("shop-b.myshopify.com")
    settings.DEBUG, settings.DEMO_MODE = True, True
    session = client.session
    session["demo_shop_id"] = other.pk
    session.save()

    refused(client, url)

    assert Account.objects.get(pk=account.pk).status == Account.Status.EXPIRED


def test_another_shops_account_is_a_404(
    connect: Any, make_shop: Callable[..., Shop], shop: Shop, shop_client: Any
) -> None:
    account = connect(shop, "etsy")
    intruder = shop_client(make_shop("shop-b.myshopify.com"))
    assert intruder.get(f"/accounts/{account.pk}/edit").status_code == 404
    assert intruder.post(f"/accounts/{account.pk}/edit", {"name": "x"}).status_code == 404


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's test database is in memory with a shared cache, where the second writer is "
    "refused at once ('database table is locked') instead of waiting for the first; the demo's "
    "file database makes it wait (transaction_mode IMMEDIATE, the busy timeout)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_etsy_refreshes_never_leave_a_spent_token(
    connect: Any, shop: Shop, sims: Any
) -> None:
    account = connect(shop, "etsy")
    sims.etsy.latency["/v3/public/oauth/token"] = 0.3  # both workers overlap at Etsy

    _, errors = run_at_once(
        lambda: credentials.refresh_account_credentials(
            account_id=account.pk, stale_token=account.access_token
        ),
        threads=2,
    )

    stored = Account.objects.get(pk=account.pk)
    assert errors == [] and sims.etsy.refresh_calls == 1
    assert sims.etsy.book.live_refresh_tokens(sims.etsy.default_user) == [stored.refresh_token]
    assert stored.status == Account.Status.ACTIVE
