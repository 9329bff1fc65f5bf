"""The Shopify simulator held to Shopify's documented behaviour (https://shopify.dev/docs/apps/build/
authentication-authorization, https://shopify.dev/docs/api/usage/rate-limits) and its GraphQL
subset to the published Admin schema (sandbox/specs/shopify)."""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import graphql
import jwt
import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from salestio.shopify_auth import verify_query_hmac, verify_webhook_hmac
from sandbox.server import Sandbox, SandboxConfig
from sandbox.shopify import (
    ID_TOKEN_TYPE,
    OFFLINE_TOKEN_TYPE,
    TOKEN_EXCHANGE_GRANT,
    LeakyBucket,
    load_published_schema,
    mint_session_token,
    query_hmac,
    requested_cost,
    simulated_schema,
    webhook_hmac,
)

KEY, SECRET = "sim-api-key", "sim-api-secret-of-32-bytes-length"
SHOP = "sim-shop.myshopify.com"
SHOP_QUERY = "query ShopDetails { shop { name email contactEmail currencyCode } }"


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(
        base_url="http://sandbox.test",
        app_url="http://app.test",
        shopify_api_key=KEY,
        shopify_api_secret=SECRET,
    )


@pytest.fixture
def sandbox(config: SandboxConfig) -> Sandbox:
    return Sandbox(config)


@pytest.fixture
def http(sandbox: Sandbox) -> Client:
    return Client(sandbox.wsgi)


@pytest.fixture
def shopify(sandbox: Sandbox) -> Any:
    return sandbox["/shopify"]


class Receiver:
    """A real HTTP endpoint standing in for the app; keeps every request it gets."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append((dict(request.headers), request.get_data()))
        return Response(status=200)(environ, start_response)


@pytest.fixture
def receiver(config: SandboxConfig) -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    config.app_url = receiver.url
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def _token_request(http: Client, shop: str = SHOP, **form: str) -> Any:
    return http.post(
        f"/shopify/{shop}/admin/oauth/access_token",
        data={"client_id": KEY, "client_secret": SECRET, **form},
    )


def _exchange(http: Client, subject: str, shop: str = SHOP) -> Any:
    return _token_request(
        http,
        shop,
        grant_type=TOKEN_EXCHANGE_GRANT,
        subject_token=subject,
        subject_token_type=ID_TOKEN_TYPE,
        requested_token_type=OFFLINE_TOKEN_TYPE,
        expiring="1",
    )


def _tokens(http: Client) -> dict[str, Any]:
    return dict(_exchange(http, mint_session_token(SHOP, api_key=KEY, secret=SECRET)).json)


def _authorize(
    http: Client, state: str = "s", redirect_uri: str = "http://app.test/auth/callback"
) -> Any:
    return http.get(
        f"/shopify/{SHOP}/admin/oauth/authorize",
        query_string={
            "client_id": KEY,
            "scope": "read_orders",
            "state": state,
            "redirect_uri": redirect_uri,
        },
    )


def _graphql(http: Client, token: str, query: str = SHOP_QUERY, **variables: Any) -> Any:
    return http.post(
        f"/shopify/{SHOP}/admin/api/2026-10/graphql.json",
        json={"query": query, "variables": variables},
        headers={"X-Shopify-Access-Token": token},
    )


# --- Signatures -------------------------------------------------------------------------------


def test_webhook_signature_matches_the_documented_vector() -> None:
    assert webhook_hmac(b"Info", "hush") == "6ufKn53YDwFjg+2HbePaB4Yy4MIOwKA30/gtUW5JHTE="


def test_query_signature_matches_the_documented_vector() -> None:
    params = {
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "shop": "some-shop.myshopify.com",
        "state": "0.6784241404160823",
        "timestamp": "1337178173",
    }
    expected = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
    assert query_hmac(params, "hush") == expected


def test_the_authorize_redirect_is_signed_as_documented(http: Client) -> None:
    response = _authorize(http, state="nonce-1")
    assert response.status_code == 302
    params = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    assert set(params) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    message = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "hmac")
    expected = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    assert params["hmac"] == expected
    assert verify_query_hmac(params, secret=SECRET)


def test_the_authorize_page_refuses_a_foreign_redirect_uri(http: Client) -> None:
    response = _authorize(http, redirect_uri="http://evil.test/auth/callback")
    assert response.status_code == 400


def test_a_delivered_webhook_verifies_with_the_app_secret(shopify: Any, receiver: Receiver) -> None:
    delivery = shopify.send_webhook(SHOP, "shop/update", {"name": "Renamed"}, event_id="ev-1")
    assert delivery.status == 200
    [(headers, body)] = receiver.requests
    assert verify_webhook_hmac(body, headers["X-Shopify-Hmac-Sha256"], secret=SECRET)
    assert json.loads(body) == {"name": "Renamed"}
    assert headers["X-Shopify-Topic"] == "shop/update"
    assert headers["X-Shopify-Shop-Domain"] == SHOP
    assert headers["X-Shopify-Event-Id"] == "ev-1"
    assert headers["X-Shopify-Webhook-Id"] == delivery.webhook_id
    assert headers["X-Shopify-Api-Version"] == "2026-10"
    assert datetime.fromisoformat(headers["X-Shopify-Triggered-At"])


def test_the_control_endpoint_sends_a_webhook(http: Client, receiver: Receiver) -> None:
    response = http.post(
        "/shopify/_control/webhooks",
        json={"shop": SHOP, "topic": "app/uninstalled", "payload": {"id": 1}},
    )
    assert response.status_code == 200
    answer = json.loads(response.text)
    assert answer["status"] == 200
    [(headers, _body)] = receiver.requests
    assert headers["X-Shopify-Event-Id"] == answer["event_id"]


def test_the_control_endpoint_refuses_an_incomplete_request(http: Client) -> None:
    response = http.post("/shopify/_control/webhooks", json={"shop": SHOP, "topic": "x"})
    assert response.status_code == 400


# --- Tokens -----------------------------------------------------------------------------------


def test_token_exchange_answers_an_expiring_offline_token(http: Client) -> None:
    tokens = _tokens(http)
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token_expires_in"] == 7_776_000
    assert tokens["access_token"].startswith("shpat_")
    assert _graphql(http, tokens["access_token"]).status_code == 200


@pytest.mark.parametrize(
    "subject",
    [
        mint_session_token("other-shop.myshopify.com", api_key=KEY, secret=SECRET),
        mint_session_token(SHOP, api_key="another-app", secret=SECRET),
        mint_session_token(SHOP, api_key=KEY, secret="not-the-secret-of-this-app-at-all"),
        jwt.encode(
            {
                "iss": f"https://{SHOP}/admin",
                "dest": f"https://{SHOP}",
                "aud": KEY,
                "exp": 1,
                "nbf": 0,
            },
            SECRET,
            algorithm="HS256",
        ),
    ],
    ids=["other shop", "other app", "forged", "stale"],
)
def test_token_exchange_refuses_a_bad_subject_token(http: Client, subject: str) -> None:
    response = _exchange(http, subject)
    assert (response.status_code, response.json) == (400, {"error": "invalid_subject_token"})


def test_the_token_endpoint_refuses_a_wrong_client_secret(http: Client) -> None:
    response = http.post(
        f"/shopify/{SHOP}/admin/oauth/access_token",
        data={"client_id": KEY, "client_secret": "wrong", "code": "x"},
    )
    assert (response.status_code, response.json) == (400, {"error": "invalid_client"})


def test_a_refresh_rotates_both_tokens(http: Client) -> None:
    first = _tokens(http)
    second = _token_request(
        http, grant_type="refresh_token", refresh_token=first["refresh_token"]
    ).json
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]


def test_a_lost_refresh_response_can_be_recovered_until_the_replacement_is_used(
    http: Client,
) -> None:
    first = _tokens(http)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    lost = _token_request(http, **refresh).json
    assert _token_request(http, **refresh).json == lost
    _token_request(http, grant_type="refresh_token", refresh_token=lost["refresh_token"])
    retired = _token_request(http, **refresh)
    assert (retired.status_code, retired.json) == (400, {"error": "invalid_grant"})


def test_an_unknown_refresh_token_is_refused(http: Client) -> None:
    response = _token_request(http, grant_type="refresh_token", refresh_token="shprt_nope")
    assert (response.status_code, response.json) == (400, {"error": "invalid_grant"})


def test_an_authorization_code_is_spent_once(http: Client) -> None:
    redirect = _authorize(http).headers["Location"]
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    assert _token_request(http, code=code).json["scope"] == "read_orders"
    assert _token_request(http, code=code).status_code == 400


def test_graphql_refuses_an_expired_or_unknown_token(http: Client, shopify: Any) -> None:
    token = _tokens(http)["access_token"]
    shopify.expire_access_token(SHOP)
    for candidate in (token, "shpat_unknown"):
        response = _graphql(http, candidate)
        assert response.status_code == 401
        assert "Invalid API key or access token" in response.json["errors"]


# --- Admin GraphQL ----------------------------------------------------------------------------


def test_every_response_reports_its_cost_and_the_bucket(http: Client) -> None:
    body = _graphql(http, _tokens(http)["access_token"]).json
    cost = body["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (1, 1)
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0


def test_an_empty_bucket_answers_throttled(http: Client, shopify: Any) -> None:
    token = _tokens(http)["access_token"]
    shopify.set_rate_limit(SHOP, maximum=1, restore_rate=0.01)
    assert "data" in _graphql(http, token).json
    response = _graphql(http, token)
    assert response.status_code == 200
    assert response.json["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "data" not in response.json
    assert response.json["extensions"]["cost"]["actualQueryCost"] is None


def test_the_bucket_refills_at_its_restore_rate() -> None:
    now = [0.0]
    bucket = LeakyBucket(maximum=10, restore_rate=4, clock=lambda: now[0])
    assert bucket.take(10) and not bucket.take(1)
    now[0] = 0.5
    assert bucket.status()["currentlyAvailable"] == 2
    assert bucket.take(2) and not bucket.take(1)
    now[0] = 100.0
    assert bucket.status()["currentlyAvailable"] == 10


def test_cost_follows_shopifys_rules() -> None:
    schema = graphql.build_schema(
        "type Query { shop: Shop, products(first: Int): [Product] }"
        " type Shop { name: String } type Product { id: ID, variants(first: Int): [Variant] }"
        " type Variant { sku: String }"
    )

    def cost(query: str, **variables: Any) -> int:
        document = graphql.parse(query)
        operation = graphql.get_operation_ast(document)
        assert operation is not None
        return requested_cost(schema, document, operation, variables)

    assert cost("{ shop { name } }") == 1
    assert (
        cost("query P($n: Int) { products(first: $n) { id variants(first: 5) { sku } } }", n=10)
        == 2 + 10 * 2
    )
    assert cost("mutation A { a }") == 10
    assert cost("mutation AB { a b }") == 20


def test_an_invalid_document_is_answered_with_graphql_errors(http: Client) -> None:
    body = _graphql(http, _tokens(http)["access_token"], "query Bad { shop { nope } }").json
    assert "Cannot query field 'nope'" in body["errors"][0]["message"]


def test_subscription_input_is_checked_and_approval_activates_it(
    http: Client, receiver: Receiver
) -> None:
    token = _tokens(http)["access_token"]
    create = """mutation Create($amount: Decimal!) { appSubscriptionCreate(
      name: "Pro", returnUrl: "https://app.test/billing/", test: true, lineItems: [{plan: {
        appRecurringPricingDetails: {price: {amount: $amount, currencyCode: EUR}}}}]
    ) { confirmationUrl userErrors { field message } } }"""
    refused = _graphql(http, token, create, amount="0").json["data"]["appSubscriptionCreate"]
    assert refused["userErrors"][0]["message"] == "Price must be greater than 0"
    created = _graphql(http, token, create, amount="29.00").json["data"]["appSubscriptionCreate"]
    confirm = urlsplit(created["confirmationUrl"]).path
    assert "Approve" in http.get(confirm).text
    approved = http.post(confirm, data={"decision": "approve"})
    assert approved.headers["Location"] == "https://app.test/billing/?charge_id=1"
    active = _graphql(http, token, "{ currentAppInstallation { activeSubscriptions { status } } }")
    assert active.json["data"]["currentAppInstallation"]["activeSubscriptions"] == [
        {"status": "ACTIVE"}
    ]
    [(headers, body)] = receiver.requests
    assert headers["X-Shopify-Topic"] == "app_subscriptions/update"
    assert json.loads(body)["app_subscription"]["status"] == "ACTIVE"


# --- The admin and App Bridge stand-in --------------------------------------------------------


def test_the_admin_frames_the_app_with_signed_launch_parameters(http: Client) -> None:
    page = http.get("/store/sim-shop/apps/sim-api-key/settings/").text
    src = page.split('src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    url = urlsplit(src)
    assert (url.netloc, url.path) == ("app.test", "/settings/")
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert params["embedded"] == "1" and params["shop"] == SHOP
    assert verify_query_hmac(params, secret=SECRET)
    claims = jwt.decode(params["id_token"], SECRET, algorithms=["HS256"], audience=KEY)
    assert (claims["dest"], claims["iss"]) == (f"https://{SHOP}", f"https://{SHOP}/admin")
    assert claims["exp"] - claims["iat"] == 60


def test_the_admin_hands_out_fresh_session_tokens(http: Client) -> None:
    token = json.loads(http.post("/store/sim-shop/session-token").text)["token"]
    assert (
        jwt.decode(token, SECRET, algorithms=["HS256"], audience=KEY)["dest"] == f"https://{SHOP}"
    )


def test_the_admin_knows_only_its_own_app(http: Client) -> None:
    assert http.get("/store/sim-shop/apps/another-app").status_code == 404


def test_app_bridge_is_served_as_javascript(http: Client) -> None:
    response = http.get("/shopify/cdn/app-bridge.js")
    assert response.mimetype == "text/javascript"
    assert "window.shopify" in response.text


# --- Contract: the simulated subset is Shopify's schema ---------------------------------------


def _type_string(field: Any) -> str:
    return str(field.type)


def test_the_simulated_subset_matches_the_published_schema(specs_dir: Path) -> None:
    published = load_published_schema(specs_dir / "shopify" / "admin_schema_2025-01.json.gz")
    assert published is not None
    subset = simulated_schema()
    for name, ours in subset.type_map.items():
        if name.startswith("__"):
            continue
        theirs = published.get_type(name)
        assert type(theirs) is type(ours), name
        _assert_same_members(name, ours, theirs)


def _assert_same_members(name: str, ours: Any, theirs: Any) -> None:
    if isinstance(ours, graphql.GraphQLEnumType):
        assert set(ours.values) <= set(theirs.values), name
    if isinstance(ours, graphql.GraphQLInputObjectType):
        required = {n for n, f in theirs.fields.items() if graphql.is_required_input_field(f)}
        assert required <= set(ours.fields), name
    for field_name, field in getattr(ours, "fields", {}).items():
        published_field = theirs.fields[field_name]
        assert _type_string(field) == _type_string(published_field), f"{name}.{field_name}"
        for arg, value in getattr(field, "args", {}).items():
            assert str(value.type) == str(published_field.args[arg].type), f"{name}.{field_name}"


ORDER_CREATE = """
mutation OrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) { order { id } userErrors { message } }
}
"""


def test_an_order_takes_stock_from_the_one_variant_store_and_announces_the_level(
    http: Client, shopify: Any, receiver: Receiver
) -> None:
    mug = shopify.add_variant(SHOP, "MUG-1", quantity=5)
    order = {"lineItems": [{"variantId": mug.gid, "quantity": 2}]}
    body = _graphql(
        http,
        _tokens(http)["access_token"],
        ORDER_CREATE,
        order=order,
        options={"inventoryBehaviour": "DECREMENT_IGNORING_POLICY"},
    ).json

    assert body["data"]["orderCreate"]["userErrors"] == []
    assert shopify.catalog.by_sku(SHOP, "MUG-1").available == 3
    deadline = time.monotonic() + 5  # Shopify delivers webhooks after the order, not in it
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    [(headers, payload)] = receiver.requests
    assert headers["X-Shopify-Topic"] == "inventory_levels/update"
    assert json.loads(payload)["inventory_item_id"] == mug.inventory_item_id
    assert json.loads(payload)["available"] == 3
    # The listings' query sees the same variant and level.
    levels = _graphql(
        http,
        _tokens(http)["access_token"],
        "{ productVariants(first: 5) { nodes { sku inventoryQuantity inventoryItem {"
        ' inventoryLevels(first: 5) { nodes { quantities(names: ["available"]) { quantity } } }'
        " } } } }",
    ).json["data"]["productVariants"]["nodes"]
    assert levels[0]["sku"] == "MUG-1" and levels[0]["inventoryQuantity"] == 3
    assert levels[0]["inventoryItem"]["inventoryLevels"]["nodes"][0]["quantities"] == [
        {"quantity": 3}
    ]
