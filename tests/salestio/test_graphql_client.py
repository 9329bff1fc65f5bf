"""salestio.shopify_api.AdminGraphQL against the sandbox's Admin API over real HTTP.

Throttling is Shopify's: a leaky bucket of cost points; a throttled call answers 200 with
errors[].extensions.code == "THROTTLED" and extensions.cost.throttleStatus
(https://shopify.dev/docs/api/usage/rate-limits). 401 means the access token is dead.
"""

import time
from typing import Any

import pytest

from salestio import shopify_api
from salestio.graphql_documents import SHOP_DETAILS_QUERY
from tests.conftest import session_token

SHOP = "graphql-shop.myshopify.com"
# Only tests send this one; the app's own documents live in salestio.graphql_documents.
CREATE_SUBSCRIPTION = """
mutation CreateSubscription($name: String!, $amount: Decimal!, $returnUrl: URL!) {
  appSubscriptionCreate(
    name: $name
    returnUrl: $returnUrl
    test: true
    lineItems: [{plan: {appRecurringPricingDetails: {
      price: {amount: $amount, currencyCode: EUR}, interval: EVERY_30_DAYS}}}]
  ) {
    appSubscription { id status }
    confirmationUrl
    userErrors { field message }
  }
}
"""


@pytest.fixture
def shopify(sandbox: Any) -> Any:
    return sandbox.sandbox["/shopify"]


@pytest.fixture
def access_token(shopify: Any) -> str:
    return shopify_api.exchange_session_token(SHOP, session_token(SHOP)).access_token


class Sleeps:
    """The client's sleep: records each wait; really waits only when told to."""

    def __init__(self, *, real: bool):
        self.real = real
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.real:
            time.sleep(seconds)


def _client(token: str, sleeps: Sleeps, attempts: int = 6) -> shopify_api.AdminGraphQL:
    return shopify_api.AdminGraphQL(SHOP, token, max_attempts=attempts, sleep=sleeps)


def test_a_query_returns_the_shops_details(shopify: Any, access_token: str) -> None:
    data = _client(access_token, Sleeps(real=False)).execute(SHOP_DETAILS_QUERY)
    assert data["shop"]["email"] == shopify.shop(SHOP).details["email"]


def test_throttled_calls_are_waited_out(shopify: Any, access_token: str) -> None:
    shopify.set_rate_limit(SHOP, maximum=2, restore_rate=20)
    sleeps = Sleeps(real=True)
    client = _client(access_token, sleeps)
    started = time.monotonic()
    results = [client.execute(SHOP_DETAILS_QUERY) for _ in range(5)]
    assert all(result["shop"]["name"] for result in results)
    # Five 1-point queries through a 2-point bucket refilling 20 points/s take >= 3/20 s.
    assert time.monotonic() - started >= 0.15
    assert sleeps.waits
    # At most one point is missing: the client waits about 1/20 s, not a blind backoff.
    assert all(0.05 <= wait < 0.2 for wait in sleeps.waits)


def test_server_errors_are_retried(shopify: Any, access_token: str) -> None:
    shopify.fail_next(SHOP, 2, status=503)
    sleeps = Sleeps(real=False)
    assert _client(access_token, sleeps).execute(SHOP_DETAILS_QUERY)["shop"]
    assert len(sleeps.waits) == 2


def test_server_errors_beyond_the_attempts_raise_transient(shopify: Any, access_token: str) -> None:
    shopify.fail_next(SHOP, 3, status=502)
    with pytest.raises(shopify_api.ShopifyTransientError):
        _client(access_token, Sleeps(real=False), attempts=3).execute(SHOP_DETAILS_QUERY)


def test_user_errors_raise_shopify_user_errors(access_token: str) -> None:
    variables = {"name": "Pro", "amount": "0", "returnUrl": "https://app.example/billing/"}
    with pytest.raises(shopify_api.ShopifyUserErrors) as raised:
        _client(access_token, Sleeps(real=False)).mutate(
            CREATE_SUBSCRIPTION, variables, "appSubscriptionCreate"
        )
    assert raised.value.errors[0]["message"] == "Price must be greater than 0"


def test_a_valid_mutation_returns_its_payload(access_token: str) -> None:
    variables = {"name": "Pro", "amount": "29.00", "returnUrl": "https://app.example/billing/"}
    payload = _client(access_token, Sleeps(real=False)).mutate(
        CREATE_SUBSCRIPTION, variables, "appSubscriptionCreate"
    )
    assert payload["appSubscription"]["status"] == "PENDING"
    assert "/RecurringApplicationCharge/" in payload["confirmationUrl"]


def test_an_expired_token_raises_auth_error(shopify: Any, access_token: str) -> None:
    shopify.expire_access_token(SHOP)
    with pytest.raises(shopify_api.ShopifyAuthError):
        _client(access_token, Sleeps(real=False)).execute(SHOP_DETAILS_QUERY)


def test_an_unknown_token_raises_auth_error(shopify: Any) -> None:
    with pytest.raises(shopify_api.ShopifyAuthError):
        _client("shpat_unknown", Sleeps(real=False)).execute(SHOP_DETAILS_QUERY)


def test_an_invalid_document_raises_graphql_error(access_token: str) -> None:
    with pytest.raises(shopify_api.ShopifyGraphQLError, match="nope"):
        _client(access_token, Sleeps(real=False)).execute("query Bad { shop { nope } }")


def test_an_unavailable_shop_raises_a_shopify_error(shopify: Any, access_token: str) -> None:
    shopify.fail_next(SHOP, 1, status=402)
    with pytest.raises(shopify_api.ShopifyShopUnavailable, match="402"):
        _client(access_token, Sleeps(real=False)).execute(SHOP_DETAILS_QUERY)


def test_a_rest_style_error_string_raises_graphql_error(shopify: Any, access_token: str) -> None:
    shopify.fail_next(SHOP, 1, status=400)
    with pytest.raises(shopify_api.ShopifyGraphQLError, match="Bad Request"):
        _client(access_token, Sleeps(real=False)).execute(SHOP_DETAILS_QUERY)
