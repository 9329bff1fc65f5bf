"""Offline tokens over real HTTP against the sandbox's Shopify
(https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange,
https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens,
https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant).

Expiring offline tokens last 3600 s, their refresh tokens 90 days, and every refresh rotates
both. A spent refresh token stays retryable until its replacement is used (shopify.dev
changelog, 2026-08-28, "More resilient refreshes for expiring offline access tokens").
"""

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from salestio import services, shopify_api, tasks
from salestio.crypto import decrypt
from salestio.db import _together_sql
from salestio.graphql_documents import SHOP_DETAILS_QUERY
from salestio.models import Shop
from salestio.views import dashboard_reads
from tests.concurrency import run_at_once
from tests.conftest import session_token

SHOP = "fresh-shop.myshopify.com"


@pytest.fixture
def shopify(sandbox: Any) -> Any:
    return sandbox.sandbox["/shopify"]


@pytest.fixture
def installed(client: Any, db: None, shopify: Any, django_capture_on_commit_callbacks: Any) -> Shop:
    """A shop installed the Shopify-managed way: its first page load with an id_token."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/", {"id_token": session_token(SHOP), "shop": SHOP})
    assert response.status_code == 200
    return Shop.objects.get(domain=SHOP)


def _raw_tokens(domain: str) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM salestio_shop WHERE domain = %s", [domain]
        )
        row = cursor.fetchone()
    return row[0], row[1]


def _works(shop: Shop) -> bool:
    try:
        shopify_api.AdminGraphQL(shop.domain, shop.access_token).execute(SHOP_DETAILS_QUERY)
    except shopify_api.ShopifyAuthError:
        return False
    return True


def test_the_first_load_exchanges_the_id_token_for_an_expiring_offline_token(
    installed: Shop, shopify: Any
) -> None:
    state = shopify.shop(SHOP)
    assert state.grants == [shopify_api.TOKEN_EXCHANGE_GRANT]
    assert installed.access_token in state.access_tokens
    assert installed.refresh_token in state.refresh_tokens
    now, minute = timezone.now(), timedelta(minutes=1)
    access_expiry = installed.access_token_expires_at
    refresh_expiry = installed.refresh_token_expires_at
    assert access_expiry and refresh_expiry
    assert abs(access_expiry - (now + timedelta(hours=1))) < minute
    assert abs(refresh_expiry - (now + timedelta(days=90))) < minute


def test_the_tokens_are_encrypted_in_their_columns(installed: Shop) -> None:
    raw_access, raw_refresh = _raw_tokens(SHOP)
    assert installed.access_token.startswith("shpat_")
    assert installed.access_token not in raw_access and "shpat_" not in raw_access
    assert installed.refresh_token not in raw_refresh and "shprt_" not in raw_refresh
    assert (decrypt(raw_access), decrypt(raw_refresh)) == (
        installed.access_token,
        installed.refresh_token,
    )


def test_the_install_reads_the_shops_details_with_the_new_token(
    installed: Shop, shopify: Any
) -> None:
    details = shopify.shop(SHOP).details
    installed.refresh_from_db()
    assert (installed.name, installed.owner_email) == (details["name"], details["email"])
    assert installed.iana_timezone == details["ianaTimezone"] == "Europe/Berlin"


def test_a_stale_id_token_installs_nothing(client: Any, db: None, shopify: Any) -> None:
    stale = session_token(SHOP, exp=1, nbf=0, iat=0)
    response = client.get("/", {"id_token": stale})
    assert response.status_code == 302
    assert not Shop.objects.filter(domain=SHOP).exists()


def test_refresh_rotates_both_tokens_and_persists_them(installed: Shop) -> None:
    before = (installed.access_token, installed.refresh_token)
    services.refresh_shop_token(shop_id=installed.pk, force=True)
    shop = Shop.objects.get(pk=installed.pk)
    assert shop.access_token != before[0] and shop.refresh_token != before[1]
    assert _works(shop)


def test_the_old_refresh_token_is_refused_once_its_replacement_is_used(installed: Shop) -> None:
    first_refresh_token = installed.refresh_token
    services.refresh_shop_token(shop_id=installed.pk, force=True)
    services.refresh_shop_token(shop_id=installed.pk, force=True)
    with pytest.raises(shopify_api.ShopifyAuthError):
        shopify_api.refresh_offline_token(SHOP, first_refresh_token)


def test_a_failed_refresh_keeps_the_stored_tokens(installed: Shop, shopify: Any) -> None:
    shopify.fail_next(SHOP, 1, status=503)
    with pytest.raises(shopify_api.ShopifyTransientError):
        services.refresh_shop_token(shop_id=installed.pk, force=True)
    shop = Shop.objects.get(pk=installed.pk)
    assert (shop.access_token, shop.refresh_token) == (
        installed.access_token,
        installed.refresh_token,
    )
    assert _works(shop)


def test_a_refused_refresh_token_is_dropped_so_the_sweep_stops_retrying_it(
    installed: Shop,
) -> None:
    Shop.objects.filter(pk=installed.pk).update(
        refresh_token="spent-long-ago", access_token_expires_at=timezone.now()
    )
    with pytest.raises(shopify_api.ShopifyAuthError):
        services.refresh_shop_token(shop_id=installed.pk, force=True)
    shop = Shop.objects.get(pk=installed.pk)
    assert (shop.access_token, shop.refresh_token) == ("", "")
    assert tasks.refresh_expiring_shop_tokens() == 0


def test_an_expired_access_token_is_refreshed_before_use(installed: Shop, shopify: Any) -> None:
    shopify.expire_access_token(SHOP)
    assert not _works(installed)
    Shop.objects.filter(pk=installed.pk).update(access_token_expires_at=timezone.now())
    client = services.admin_client(Shop.objects.get(pk=installed.pk))
    assert client.execute(SHOP_DETAILS_QUERY)["shop"]["name"]


def test_the_sweep_refreshes_only_shops_near_expiry(client: Any, db: None, shopify: Any) -> None:
    for domain in ("soon.myshopify.com", "later.myshopify.com"):
        client.get("/", {"id_token": session_token(domain)})
    Shop.objects.filter(domain="soon.myshopify.com").update(
        access_token_expires_at=timezone.now() + timedelta(minutes=5)
    )
    before = {s.domain: s.access_token for s in Shop.objects.all()}
    assert tasks.refresh_expiring_shop_tokens() == 1
    after = {s.domain: s.access_token for s in Shop.objects.all()}
    assert after["soon.myshopify.com"] != before["soon.myshopify.com"]
    assert after["later.myshopify.com"] == before["later.myshopify.com"]
    assert "refresh_token" not in shopify.shop("later.myshopify.com").grants


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_spend_the_refresh_token_once(client: Any, shopify: Any) -> None:
    client.get("/", {"id_token": session_token(SHOP)})
    shop = Shop.objects.get(domain=SHOP)
    Shop.objects.filter(pk=shop.pk).update(access_token_expires_at=timezone.now())

    _, errors = run_at_once(lambda: services.refresh_shop_token(shop_id=shop.pk), threads=2)

    assert errors == []
    assert shopify.shop(SHOP).grants.count("refresh_token") == 1
    assert _works(Shop.objects.get(pk=shop.pk))


# --- Authorization-code install --------------------------------------------------------------


@pytest.fixture
def authorize(client: Any, db: None, shopify: Any, settings: Any) -> Any:
    """/auth/install for a shop, then the sandbox's grant screen: the callback's parameters.
    With `state_from`, the grant is asked for with the state /auth/install issued for that
    other shop (whose nonce cookie the browser then holds)."""
    shopify.config.app_url = settings.SHOPIFY_APP_URL

    def run(shop: str, state_from: str | None = None) -> dict[str, str]:
        install = client.get("/auth/install", {"shop": state_from or shop})
        assert install.status_code == 302
        url = install["Location"].replace(f"/{state_from}/", f"/{shop}/")
        grant = requests.get(url, allow_redirects=False, timeout=5)
        assert grant.status_code == 302
        callback = urlsplit(grant.headers["Location"])
        assert callback.path == "/auth/callback"
        return {k: v[0] for k, v in parse_qs(callback.query).items()}

    return run


def test_the_authorization_code_install_stores_the_shops_token(
    client: Any, authorize: Any, shopify: Any, settings: Any
) -> None:
    params = authorize(SHOP)
    response = client.get("/auth/callback", params)
    assert response.status_code == 302
    admin = f"{settings.SHOPIFY_ADMIN_ORIGIN}/store/fresh-shop/apps/{settings.SHOPIFY_API_KEY}"
    assert response["Location"] == admin
    shop = Shop.objects.get(domain=SHOP)
    assert shopify.shop(SHOP).grants == ["authorization_code"]
    assert _works(shop)


def test_a_tampered_callback_is_refused(client: Any, authorize: Any) -> None:
    params = authorize(SHOP)
    tampered = {**params, "timestamp": str(int(params["timestamp"]) + 1)}
    assert client.get("/auth/callback", tampered).status_code == 400
    assert not Shop.objects.filter(domain=SHOP).exists()


def test_a_state_issued_for_another_shop_is_refused(client: Any, authorize: Any) -> None:
    params = authorize(SHOP, state_from="other-shop.myshopify.com")
    assert params["shop"] == SHOP
    assert client.get("/auth/callback", params).status_code == 400
    assert not Shop.objects.filter(domain=SHOP).exists()


def test_a_reinstall_on_a_page_load_reads_the_page_after_its_writes(
    installed: Shop, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The page's reads went with the shop's (its id known from the first load); installing
    writes, so the page reads them again afterwards instead of taking answers from before."""
    services.uninstall_shop(shop=installed)
    load = {"id_token": session_token(SHOP), "shop": SHOP}

    with (
        CaptureQueriesContext(connection) as captured,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert client.get("/", load).status_code == 200

    statements = [query["sql"] for query in captured.captured_queries]
    install = min(at for at, sql in enumerate(statements) if 'UPDATE "salestio_shop"' in sql)
    page = page_statement(installed)
    assert any(page in sql for sql in statements[install:])
    assert Shop.objects.get(pk=installed.pk).has_usable_token()


def page_statement(shop: Shop) -> str:
    """What the dashboard's own combined read shows in a statement: its prepared name on
    PostgreSQL, else its text."""
    reads = dashboard_reads(shop)
    sql = _together_sql("default", tuple((read.model, read.sql, read.selected()) for read in reads))
    if connection.vendor != "postgresql":
        return sql.split("FROM", 1)[0]
    return "salestio_" + hashlib.sha256(sql.encode()).hexdigest()[:24]
