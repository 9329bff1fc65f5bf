"""Session tokens decide who the shop is
(https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens).

Checked: signature, exp/nbf with ~10 s leeway, aud == client id, iss and dest on one shop.
A fetch with a bad token gets 401 + X-Shopify-Retry-Invalid-Session-Request: 1; a page load
with a bad id_token goes to the bounce route, which lets App Bridge retry with a fresh one.
"""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from salestio.models import Shop
from tests.conftest import session_token

RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"
SHOP = "shop-a.myshopify.com"


def _bearer(client: Any, token: str, path: str = "/") -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_a_valid_token_names_the_requests_shop(client: Any, shop: Shop) -> None:
    response = _bearer(client, session_token(SHOP))
    assert response.status_code == 200
    assert response.wsgi_request.shop == shop


def test_a_token_within_the_leeway_is_accepted(client: Any, shop: Shop) -> None:
    now = int(time.time())
    token = session_token(SHOP, exp=now - 5, nbf=now + 5)
    assert _bearer(client, token).status_code == 200


def test_a_token_accepted_before_is_refused_once_it_expires(
    client: Any, shop: Shop, time_machine: Any
) -> None:
    """A token's checks are made once per process (App Bridge repeats it for a minute), its
    time window at every request."""
    token = session_token(SHOP)
    assert _bearer(client, token).status_code == 200
    assert _bearer(client, token).status_code == 200

    time_machine.move_to(time.time() + 60 + 11)  # exp, plus the 10 s leeway
    refused = _bearer(client, token)

    assert refused.status_code == 401 and refused[RETRY_HEADER] == "1"


def test_a_token_accepted_before_is_refused_once_the_secret_is_rotated(
    client: Any, shop: Shop, settings: Any
) -> None:
    token = session_token(SHOP)
    assert _bearer(client, token).status_code == 200

    settings.SHOPIFY_API_SECRET = "the-next-app-secret-of-32-bytes-or-more"

    assert _bearer(client, token).status_code == 401


BAD_TOKENS = {
    "expired": lambda now: session_token(SHOP, exp=now - 60, iat=now - 120, nbf=now - 120),
    "not yet valid": lambda now: session_token(SHOP, nbf=now + 60),
    "wrong audience": lambda now: session_token(SHOP, aud="another-apps-client-id"),
    "wrong signature": lambda now: session_token(SHOP, secret="not-the-app-secret-at-all-32-bytes"),
    "iss and dest name different shops": lambda now: session_token(
        SHOP, iss="https://shop-b.myshopify.com/admin"
    ),
    "dest is not a shop": lambda now: session_token(
        SHOP, iss="https://evil.example/admin", dest="https://evil.example"
    ),
}


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_a_fetch_with_a_bad_token_is_refused_with_the_retry_header(
    client: Any, shop: Shop, case: str
) -> None:
    response = _bearer(client, BAD_TOKENS[case](int(time.time())))
    assert response.status_code == 401
    assert response[RETRY_HEADER] == "1"


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_a_page_load_with_a_bad_id_token_bounces(client: Any, shop: Shop, case: str) -> None:
    response = client.get("/settings/", {"id_token": BAD_TOKENS[case](int(time.time()))})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/auth/patch-id-token"
    assert parse_qs(location.query)["shopify-reload"][0].startswith("/settings/?id_token=")


def test_a_post_without_any_token_is_refused(client: Any, shop: Shop) -> None:
    response = client.post("/locale", {"language": "de"})
    assert response.status_code == 401
    assert response[RETRY_HEADER] == "1"


def test_a_shop_parameter_never_overrides_the_tokens_shop(
    client: Any, make_shop: Callable[..., Shop]
) -> None:
    shop_a = make_shop(SHOP)
    make_shop("shop-b.myshopify.com")
    token = session_token(SHOP)
    page = client.get("/", {"id_token": token, "shop": "shop-b.myshopify.com"})
    fetch = client.get("/?shop=shop-b.myshopify.com", headers={"Authorization": f"Bearer {token}"})
    assert page.wsgi_request.shop == shop_a
    assert fetch.wsgi_request.shop == shop_a


def test_the_tokens_shop_is_framed_only_by_its_own_admin(client: Any, shop: Shop) -> None:
    response = client.get("/", {"id_token": session_token(SHOP), "shop": "shop-b.myshopify.com"})
    policy = response["Content-Security-Policy"]
    assert f"https://{SHOP}" in policy
    assert "shop-b" not in policy


def test_the_first_load_of_a_new_shop_installs_it(client: Any, db: None, sandbox: Any) -> None:
    response = client.get("/", {"id_token": session_token("new-shop.myshopify.com")})
    assert response.status_code == 200
    shop = Shop.objects.get(domain="new-shop.myshopify.com")
    assert response.wsgi_request.shop == shop
    assert shop.has_usable_token()


def test_a_fetch_that_posts_with_a_valid_token_needs_no_csrf_cookie(
    client: Any, shop: Shop
) -> None:
    csrf_client = type(client)(enforce_csrf_checks=True)
    response = csrf_client.post(
        "/locale", {"language": "de"}, headers={"Authorization": f"Bearer {session_token(SHOP)}"}
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.locale == "de"


def test_a_shopify_outage_during_the_first_token_exchange_answers_503(
    client: Any, db: None, sandbox: Any
) -> None:
    sandbox.sandbox["/shopify"].fail_next("new-shop.myshopify.com", 1, status=503)
    response = client.get("/", {"id_token": session_token("new-shop.myshopify.com")})
    assert response.status_code == 503
    assert response["Retry-After"]
    assert not Shop.objects.filter(domain="new-shop.myshopify.com", access_token__gt="").exists()
