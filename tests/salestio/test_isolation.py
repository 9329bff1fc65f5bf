"""Every URL of the app, walked from the resolver: who may call it, and who may frame it.

- Another shop's object id answers 404 (the URL's objects come from tests/factories.py).
- Without a session token, a page load goes to the bounce page; a fetch gets 401 and the
  header that makes App Bridge retry with a fresh token
  (https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens).
- Every HTML response names the frames allowed to embed it (CSP frame-ancestors).
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter

from salestio.middleware import RETRY_HEADER
from salestio.models import Shop
from tests.factories import URL_OBJECTS

ADMIN = "https://admin.shopify.com"


@dataclass(frozen=True)
class Route:
    name: str  # as reverse() takes it, "namespace:name"
    view: Callable[..., Any]
    params: dict[str, object]  # parameter → its path converter (None for a regex group)

    @property
    def public(self) -> bool:
        return bool(getattr(self.view, "shopify_public", False))

    @property
    def takes_object_id(self) -> bool:
        return any(_is_object_id(name, conv) for name, conv in self.params.items())

    def url(self, **kwargs: Any) -> str:
        return reverse(self.name, kwargs=kwargs or None)

    def any_url(self) -> str:
        """The URL with placeholder arguments (enough for checks that stop before the view)."""
        return self.url(**{name: _placeholder(conv) for name, conv in self.params.items()})


def _is_object_id(name: str, converter: object) -> bool:
    id_name = name in {"pk", "id"} or name.endswith(("_id", "_pk"))
    return isinstance(converter, IntConverter | UUIDConverter) or id_name


def _placeholder(converter: object) -> object:
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    return 1 if isinstance(converter, IntConverter) else "x"


def _params(entry: URLPattern | URLResolver) -> dict[str, object]:
    converters = getattr(entry.pattern, "converters", None)
    if converters is not None:
        return dict(converters)
    return dict.fromkeys(entry.pattern.regex.groupindex)


def walk(
    entries: list[Any],
    namespace: str = "",
    params: dict[str, object] | None = None,
    prefix: str = "",
) -> Iterator[Route]:
    for entry in entries:
        found = {**(params or {}), **_params(entry)}
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, inner, found, f"{prefix}{entry.pattern}")
            continue
        assert entry.name, f"URL {prefix}{entry.pattern} has no name; name it to test it"
        yield Route(f"{namespace}{entry.name}", entry.callback, found)


ROUTES = list(walk(get_resolver().url_patterns))
# A public URL with an id (a signed unsubscribe link) is its own credential: no session token
# is consulted, so its app tests the signature instead.
OBJECT_ROUTES = [route for route in ROUTES if route.takes_object_id and not route.public]
PRIVATE_ROUTES = [route for route in ROUTES if not route.public]
PRIVATE_PAGES = [route for route in PRIVATE_ROUTES if not route.params]


def ids(route: Route) -> str:
    return route.name


def test_every_url_with_an_object_id_has_a_factory() -> None:
    missing = sorted({route.name for route in OBJECT_ROUTES} - set(URL_OBJECTS))
    assert not missing, f"register these URL names in tests/factories.py URL_OBJECTS: {missing}"


def test_every_registered_url_name_still_exists() -> None:
    assert set(URL_OBJECTS) <= {route.name for route in OBJECT_ROUTES}


@pytest.fixture
def shop_b(make_shop: Callable[..., Shop]) -> Shop:
    return make_shop("shop-b.myshopify.com")


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=ids)
def test_another_shops_object_answers_404(
    route: Route, shop: Shop, shop_b: Shop, shop_client: Callable[[Shop], Any]
) -> None:
    assert route.name in URL_OBJECTS, f"register {route.name} in tests/factories.py URL_OBJECTS"
    url = route.url(**URL_OBJECTS[route.name](shop))
    intruder = shop_client(shop_b)
    answers = {"GET": intruder.get(url).status_code, "POST": intruder.post(url).status_code}
    owner = shop_client(shop)
    # A method the view does not offer at all is 405 for everyone; that reveals nothing.
    offered = {"GET": owner.get(url).status_code, "POST": owner.post(url).status_code}
    assert 404 in answers.values(), answers
    for method, status in answers.items():
        assert status == 404 or status == offered[method] == 405, (method, answers, offered)
    assert set(offered.values()) != {404}, f"{url} is 404 for its own shop too: {offered}"


@pytest.mark.parametrize("route", PRIVATE_ROUTES, ids=ids)
def test_page_load_without_a_session_token_goes_to_the_bounce_page(
    route: Route, client: Any, db: None
) -> None:
    url = route.any_url()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('bounce')}?{urlencode({'shopify-reload': url})}"


@pytest.mark.parametrize("route", PRIVATE_ROUTES, ids=ids)
def test_fetch_without_a_session_token_answers_401_with_the_retry_header(
    route: Route, client: Any, db: None
) -> None:
    response = client.post(route.any_url())
    assert response.status_code == 401
    assert response[RETRY_HEADER] == "1"


def test_bounce_keeps_the_shop_and_host_of_the_page_load(client: Any, db: None) -> None:
    response = client.get("/orders/?shop=shop-a.myshopify.com&host=YWRtaW4&embedded=1")
    reload = "/orders/?shop=shop-a.myshopify.com&host=YWRtaW4&embedded=1"
    query = urlencode({"shopify-reload": reload, "shop": "shop-a.myshopify.com", "host": "YWRtaW4"})
    assert response["Location"] == f"{reverse('bounce')}?{query}"


def test_every_html_page_may_be_framed_only_by_the_shop_and_the_admin(
    shop: Shop, shop_client: Callable[[Shop], Any]
) -> None:
    client = shop_client(shop)
    expected = f"frame-ancestors https://{shop.domain} {ADMIN};"
    pages = {route.name: client.get(route.url()) for route in PRIVATE_PAGES}
    html = {name: r for name, r in pages.items() if r["Content-Type"].startswith("text/html")}
    wrong = {
        name: r.get("Content-Security-Policy")
        for name, r in html.items()
        if r.get("Content-Security-Policy") != expected
    }
    assert "dashboard" in html
    assert not wrong, wrong


def test_unknown_path_may_be_framed_only_by_the_admin(
    shop: Shop, shop_client: Callable[[Shop], Any]
) -> None:
    # No view resolved, so the session token was never verified: the shop is not named.
    response = shop_client(shop).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Security-Policy"] == f"frame-ancestors {ADMIN};"


def test_public_page_names_the_shop_from_its_query(client: Any, settings: Any, db: None) -> None:
    settings.SHOPIFY_ADMIN_ORIGIN = "http://127.0.0.1:8001"
    response = client.get(reverse("bounce"), {"shop": "shop-a.myshopify.com"})
    assert response["Content-Security-Policy"] == (
        "frame-ancestors https://shop-a.myshopify.com http://127.0.0.1:8001;"
    )


def test_a_forged_shop_parameter_is_left_out_of_the_policy(client: Any, db: None) -> None:
    response = client.get(reverse("bounce"), {"shop": "evil.example.com"})
    assert response["Content-Security-Policy"] == f"frame-ancestors {ADMIN};"
