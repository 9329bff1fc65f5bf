"""Shopify's documented HMAC vectors: the install request's query `hmac`
(https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant)
and X-Shopify-Hmac-Sha256 (https://shopify.dev/docs/apps/build/webhooks/subscribe/https)."""

from salestio.shopify_auth import verify_query_hmac, verify_webhook_hmac

QUERY = {
    "code": "0907a61c0c8d55e99db179b68161bc00",
    "shop": "some-shop.myshopify.com",
    "state": "0.6784241404160823",
    "timestamp": "1337178173",
    "hmac": "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf",
}


def test_documented_query_vector_verifies() -> None:
    assert verify_query_hmac(QUERY, secret="hush")


def test_query_with_one_changed_byte_fails() -> None:
    assert not verify_query_hmac({**QUERY, "timestamp": "1337178174"}, secret="hush")
    assert not verify_query_hmac({**QUERY, "hmac": QUERY["hmac"][:-1] + "d"}, secret="hush")


def test_query_signed_with_another_secret_fails() -> None:
    assert not verify_query_hmac(QUERY, secret="hush!")


def test_documented_webhook_vector_verifies() -> None:
    assert verify_webhook_hmac(
        b"Info", "6ufKn53YDwFjg+2HbePaB4Yy4MIOwKA30/gtUW5JHTE=", secret="hush"
    )


def test_webhook_with_one_changed_byte_fails() -> None:
    assert not verify_webhook_hmac(
        b"Infp", "6ufKn53YDwFjg+2HbePaB4Yy4MIOwKA30/gtUW5JHTE=", secret="hush"
    )
    assert not verify_webhook_hmac(
        b"Info", "6ufKn53YDwFjg+2HbePaB4Yy4MIOwKA30/gtUW5JHTF=", secret="hush"
    )


def test_a_non_ascii_hmac_is_refused_not_an_error() -> None:
    assert not verify_query_hmac({**QUERY, "hmac": "é" * 64}, secret="hush")


def test_a_shop_domain_with_a_trailing_newline_is_invalid() -> None:
    from salestio.shopify_auth import is_valid_shop_domain

    assert is_valid_shop_domain("some-shop.myshopify.com")
    assert not is_valid_shop_domain("some-shop.myshopify.com\n")
