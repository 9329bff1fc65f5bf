"""A marketplace login completes only in the browser that started it.

Without this, a merchant could send the consent URL to another seller; that seller's
approval would bring their tokens back to our callback, into the merchant's shop. The
start URL gives the starting browser a first-party cookie, and the callback requires it.
"""

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import login
from accounts.models import Account, OAuthState
from salestio.models import Shop
from tests.accounts.conftest import (
    approve,
    callback,
    open_start_url,
    start_url_from,
)

pytestmark = pytest.mark.django_db


def connect_form(client: Any) -> Any:
    return client.post("/accounts/connect/etsy/", {"etsy-name": "Mugs"})


def path(url: str) -> str:
    return urlsplit(url).path


def test_a_consent_link_approved_in_another_browser_changes_nothing(
    shop: Shop, shop_client: Any, sims: Any
) -> None:
    merchant = shop_client(shop)
    consent_url = open_start_url(merchant, start_url_from(connect_form(merchant)))
    # The merchant hands the consent URL to another seller, who approves it as themselves.
    victims_browser = Client()
    response = callback(victims_browser, approve(consent_url, "50009"))

    assert response.status_code == 400
    assert b"another browser" in response.content
    account = Account.objects.get(shop=shop)
    assert account.status == Account.Status.PENDING and account.refresh_token == ""
    assert OAuthState.objects.get(account=account).used_at is None


def test_the_browser_that_started_the_login_completes_it(
    shop: Shop, shop_client: Any, sims: Any
) -> None:
    merchant = shop_client(shop)
    consent_url = open_start_url(merchant, start_url_from(connect_form(merchant)))

    response = callback(merchant, approve(consent_url, sims.etsy.default_user))

    assert response.status_code == 302
    assert Account.objects.get(shop=shop).status == Account.Status.ACTIVE
    state = OAuthState.objects.get(account__shop=shop)
    cleared = response.cookies[login.login_cookie_name(state.pk)]
    assert cleared.value == "" and cleared["max-age"] == 0


def test_a_guessed_login_cookie_is_refused(shop: Shop, shop_client: Any, sims: Any) -> None:
    merchant = shop_client(shop)
    consent_url = open_start_url(merchant, start_url_from(connect_form(merchant)))
    state = OAuthState.objects.get(account__shop=shop)
    other = Client()
    other.cookies[login.login_cookie_name(state.pk)] = "guessed"

    assert callback(other, approve(consent_url, sims.etsy.default_user)).status_code == 400
    assert Account.objects.get(shop=shop).status == Account.Status.PENDING


def test_the_start_url_works_once(shop: Shop, shop_client: Any, sims: Any) -> None:
    merchant = shop_client(shop)
    start_url = start_url_from(connect_form(merchant))
    open_start_url(merchant, start_url)

    second = Client().get(path(start_url))

    assert second.status_code == 400
    assert b"not valid" in second.content


def test_the_start_url_expires_within_minutes(shop: Shop, shop_client: Any, sims: Any) -> None:
    merchant = shop_client(shop)
    start_url = start_url_from(connect_form(merchant))
    later = timezone.now() + timedelta(seconds=login.START_MAX_AGE + 5)

    with time_machine.travel(later):
        response = merchant.get(path(start_url))

    assert response.status_code == 400
    assert OAuthState.objects.get(account__shop=shop).started_at is None


def test_the_login_cookie_is_first_party_httponly_lax_and_short_lived(
    shop: Shop, shop_client: Any, sims: Any, settings: Any
) -> None:
    merchant = shop_client(shop)
    response = merchant.get(path(start_url_from(connect_form(merchant))))

    state = OAuthState.objects.get(account__shop=shop)
    name = login.login_cookie_name(state.pk)
    cookie = response.cookies[name]
    assert name.startswith("__Host-")  # HTTPS only, this origin only, path /
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/" and 0 < cookie["max-age"] <= settings.OAUTH_STATE_MAX_AGE
    assert len(state.browser_key_hash) == 64 and cookie.value not in state.browser_key_hash


def test_debug_serves_the_login_cookie_over_plain_http(
    shop: Shop, shop_client: Any, sims: Any, settings: Any
) -> None:
    settings.DEBUG = True
    merchant = shop_client(shop)
    response = merchant.get(path(start_url_from(connect_form(merchant))))

    state = OAuthState.objects.get(account__shop=shop)
    cookie = response.cookies[f"salestio-login-{state.pk}"]
    assert not cookie["secure"] and cookie["httponly"]


@pytest.mark.parametrize("fetch_site", ["none", "cross-site", "same-site"])
def test_a_start_url_opened_outside_salestio_is_refused_unspent(
    shop: Shop, shop_client: Any, sims: Any, fetch_site: str
) -> None:
    """A merchant who hands out the start URL itself: the other seller's browser would get
    the cookie. Opened from a mail or chat it is "none", from a web page "cross-site"."""
    merchant = shop_client(shop)
    start_url = start_url_from(connect_form(merchant))

    response = Client().get(path(start_url), HTTP_SEC_FETCH_SITE=fetch_site)

    assert response.status_code == 400 and not response.cookies
    assert OAuthState.objects.get(account__shop=shop).started_at is None
    assert open_start_url(merchant, start_url)  # the merchant's own click still works
