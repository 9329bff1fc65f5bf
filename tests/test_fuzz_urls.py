"""A property-based fuzz pass over every URL pattern of the URLConf: hostile path ids, query
strings, form and raw bodies and headers, with and without a valid session token. Whatever
arrives, the answer is never a 5xx (issue 8: overflowing ids, "²".isdigit(), malformed ESP
payloads and impossible dates all answered 500).

Hypothesis drives it, derandomized (the same examples on every run) and bounded per URL.
"""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from salestio.models import Shop
from salestio.webhooks import HANDLERS
from tests.conftest import session_token
from tests.factories import URL_OBJECTS
from tests.shopify_webhooks import WEBHOOK_PATH, sign

EXAMPLES_PER_URL = 60
CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


def _routes(resolver: URLResolver, prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{ns}{pattern.namespace}:" if pattern.namespace else ns
            yield from _routes(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), f"{ns}{pattern.name}"


ROUTES = sorted(set(_routes(get_resolver())))

# Values that broke, or break apps like this one: unicode digits, overflow, NUL (PostgreSQL
# refuses it in text), signs, floats, markup, traversal, huge and empty strings.
HOSTILE = [
    "²", "٣", "9" * 30, str(2**63), "-1", "0", "1.5", "1e9", "NaN", "", " ", "\x00", "a\x00b",
    "%00", "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "https://evil.example",
    "[]", "{}", "null", "true", "x" * 3000, "x" * 256, "\ud7ff", "2024-13-45T10:00:00Z", "Ω≈ç√",
    "amazon", "ebay", "etsy", "order_import_failed", "de", "en", "1", "2",
]  # fmt: skip
PARAM_NAMES = [
    "page", "email", "test", "category", "status", "q", "shop", "host", "id_token", "locale",
    "account", "order", "listing", "marketplace", "id", "pk", "sku", "plan", "charge_id",
    "state", "code", "hmac", "shopify-reload", "embedded", "language", "use_shop_email",
    "order_import_failed", "account_expired", "region", "site", "name", "challenge_code",
]  # fmt: skip
text = st.text(max_size=40)
values = st.one_of(st.sampled_from(HOSTILE), text)
keys = st.one_of(st.sampled_from(PARAM_NAMES), st.sampled_from(PARAM_NAMES), text)
params = st.dictionaries(keys, values, min_size=1, max_size=6)


def _path_value(kind: str | None) -> st.SearchStrategy[str]:
    if kind == "int":
        return st.one_of(st.integers(0, 10**30).map(str), st.sampled_from(["1", "2", "0"]))
    if kind == "slug":
        return st.from_regex(r"[-a-zA-Z0-9_]{1,40}", fullmatch=True)
    return st.one_of(st.sampled_from(["amazon", "ebay", "etsy"]), st.from_regex(r"[^/]{1,40}"))


def _paths(route: str, real: dict[str, Any]) -> st.SearchStrategy[str]:
    """The route with each converter filled by a real id of the shop or a hostile value."""
    parts = CONVERTER.split(route)
    pieces: list[st.SearchStrategy[str]] = []
    for i in range(0, len(parts), 3):
        pieces.append(st.just(parts[i]))
        if i + 2 < len(parts):
            kind, name = parts[i + 1], parts[i + 2]
            own = [str(real[name])] if name in real else []
            pieces.append(st.one_of(st.sampled_from(own), _path_value(kind)) if own
                          else _path_value(kind))  # fmt: skip
    return st.tuples(*pieces).map(lambda bits: "/" + "".join(bits))


def _auth(shop: Shop) -> st.SearchStrategy[dict[str, str]]:
    now_token = session_token(shop.domain)
    forged = [
        session_token(shop.domain, dest=f"http://{shop.domain}"),
        session_token("other.myshopify.com"),
        session_token(shop.domain, secret="not-the-app-secret-at-all-32-bytes"),
        "not.a.jwt",
        "",
    ]
    bearer = st.one_of(st.just(now_token), st.sampled_from(forged))
    valid = {"Authorization": f"Bearer {now_token}"}
    return st.one_of(
        st.just(valid),
        st.just(valid),
        bearer.map(lambda token: {"Authorization": f"Bearer {token}"}),
        st.sampled_from(["Basic dHJhY2tpbmc6dGVzdC13ZWJob29rLXNlY3JldA==", "Basic !!", "x"]).map(
            lambda value: {"Authorization": value}
        ),
        st.just({}),
    )


shopify_headers = st.fixed_dictionaries(
    {},
    optional={
        "X-Shopify-Topic": st.one_of(
            st.sampled_from(["shop/update", "app/uninstalled", "customers/redact", "x/y"]), text
        ),
        "X-Shopify-Event-Id": values,
        "X-Shopify-Shop-Domain": st.sampled_from(["shop-a.myshopify.com", "evil.example", ""]),
        "X-Shopify-Triggered-At": values,
        "X-Shopify-Hmac-Sha256": values,
        "Accept-Language": values,
    },
)
json_objects = st.dictionaries(
    st.one_of(st.sampled_from(["customer", "name", "email", "currency", "orders_to_redact"]), text),
    st.one_of(values, st.integers(), st.none(), st.lists(st.integers(), max_size=3)),
    max_size=4,
).map(lambda value: json.dumps(value).encode())
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"{not json", b"[]", b"null", b'"text"', b'{"customer": "x"}']),
    json_objects,
)
content_types = st.sampled_from(
    ["application/json", "text/plain", "multipart/form-data; boundary=x", "application/xml"]
)


@st.composite
def requests_for(draw: st.DrawFn, route: str, real: dict[str, Any], shop: Shop) -> dict[str, Any]:
    headers = {**draw(_auth(shop)), **draw(shopify_headers)}
    request: dict[str, Any] = {
        "method": draw(st.sampled_from(["get", "post", "get", "post", "head"])),
        "path": draw(_paths(route, real)),
        "query": draw(params),
        "headers": headers,
    }
    if request["method"] in ("post", "put") and draw(st.booleans()):
        body = draw(raw_bodies)
        if draw(st.booleans()):  # a webhook signed with the real secret gets past its HMAC
            headers["X-Shopify-Hmac-Sha256"] = sign(body)
        request["body"], request["content_type"] = body, draw(content_types)
    else:
        request["form"] = draw(params)
    return request


def _send(client: Client, request: dict[str, Any]) -> Any:
    method: Callable[..., Any] = getattr(client, request["method"])
    path, headers = request["path"], request["headers"]
    if request["method"] in ("get", "head"):
        return method(path, request["query"], headers=headers)
    query = "&".join(f"{key}={value}" for key, value in request["query"].items())
    url = f"{path}?{query}" if query else path
    if "body" in request:
        return method(url, request["body"], content_type=request["content_type"], headers=headers)
    return method(url, request["form"], headers=headers)


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[route or "/" for route, _ in ROUTES])
def test_no_input_makes_a_url_answer_5xx(
    route: str, name: str, shop: Shop, sandbox: Any, make_shop: Callable[..., Shop]
) -> None:
    make_shop("shop-b.myshopify.com")  # another tenant's rows exist too
    real = URL_OBJECTS[name](shop) if name in URL_OBJECTS else {}
    client = Client(raise_request_exception=False)

    @settings(
        max_examples=EXAMPLES_PER_URL,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(request=requests_for(route, real, shop))
    def never_5xx(request: dict[str, Any]) -> None:
        response = _send(client, request)
        event(f"{request['method']} {response.status_code}")
        assert response.status_code < 500, (request, response.content[:2000])

    never_5xx()


@settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    topic=st.one_of(st.sampled_from(sorted(HANDLERS)), st.sampled_from(sorted(HANDLERS)), text),
    event_id=st.one_of(values, st.text(min_size=200, max_size=300)),  # around the column's 255
    triggered_at=values,
    shop_domain=st.sampled_from(["shop-a.myshopify.com", "unknown.myshopify.com", "", "x" * 300]),
    body=st.one_of(json_objects, json_objects, raw_bodies),
)
def test_no_signed_webhook_makes_the_intake_answer_5xx(
    shop: Shop, topic: str, event_id: str, triggered_at: str, shop_domain: str, body: bytes
) -> None:
    """Past the HMAC (signed with the real secret, as only Shopify can): every header and body."""
    headers = {
        "X-Shopify-Hmac-Sha256": sign(body),
        "X-Shopify-Topic": topic,
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Triggered-At": triggered_at,
        "X-Shopify-Shop-Domain": shop_domain,
    }
    client = Client(raise_request_exception=False)
    response = client.post(WEBHOOK_PATH, body, content_type="application/json", headers=headers)
    assert response.status_code < 500, (headers, body, response.content[:500])
