"""Embedded-app request handling: who the shop is, log context, and the framing policy."""

from collections.abc import Callable, Iterator
from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from salestio import shopify_api
from salestio.db import reading_along
from salestio.http import MAX_ID, ShopRequest
from salestio.l10n import activate_shop_zone
from salestio.logging import current_shop_domain
from salestio.models import Shop
from salestio.services import PageReads, shop_from_session
from salestio.shopify_auth import InvalidSessionToken, decode_session_token, is_valid_shop_domain

GetResponse = Callable[[HttpRequest], HttpResponse]
View = Callable[..., HttpResponse]
RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"


def public(view: View) -> View:
    """Mark a view that authenticates by other means (HMAC, signed link) or needs none."""
    view.shopify_public = True  # type: ignore[attr-defined]
    return view


def page_reads(reads: PageReads) -> Callable[[View], View]:
    """Declare what a view reads from its shop (Reads it then gives read_together()): they go
    in the round trip of the request's shop read once this process knows the shop's id. The
    view reads them before it writes anything (db.read_along)."""

    def declare(view: View) -> View:
        view.page_reads = reads  # type: ignore[attr-defined]
        return view

    return declare


def demo_enabled() -> bool:
    return bool(settings.DEBUG and settings.DEMO_MODE)


class RequestLogContextMiddleware:
    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_shop_domain.set("-")
        try:
            return self.get_response(request)
        finally:
            current_shop_domain.reset(token)


class InputGuardMiddleware:
    """Input no view of ours can mean, refused before any view sees it: a NUL character in the
    query string (PostgreSQL refuses it in text: a 500 from whichever filter got it first) is
    a 400; an `<int:…>` path id beyond the database's bigint is no row of ours, a 404 (the
    driver would overflow)."""

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or "\x00" in value for key, value in _query_items(request)):
            return HttpResponseBadRequest("NUL character in the query string")
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: tuple[object, ...], kwargs: dict[str, object]
    ) -> None:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not 0 <= value <= MAX_ID:
                raise Http404("no such id")


def _query_items(request: HttpRequest) -> Iterator[tuple[str, str]]:
    for key, values in request.GET.lists():
        for value in values:
            yield key, value


def _unauthorized() -> HttpResponse:
    response = HttpResponse("invalid session token", status=401)
    response[RETRY_HEADER] = "1"
    return response


def _shopify_unavailable() -> HttpResponse:
    """The first load's token exchange met a Shopify outage: ask to retry, don't crash."""
    response = HttpResponse(
        _("Shopify did not answer in time. Please reload the page in a moment."), status=503
    )
    response["Retry-After"] = "5"
    return response


def _bounce(request: HttpRequest) -> HttpResponse:
    """Page load without a token: the bounce page lets App Bridge reload it with one."""
    params = {"shopify-reload": request.get_full_path()}
    for key in ("shop", "host"):
        if key in request.GET:
            params[key] = request.GET[key]
    return HttpResponseRedirect(f"{reverse('bounce')}?{urlencode(params)}")


class ShopifySessionMiddleware:
    """Sets request.shop from a verified session token (or the demo session), else refuses."""

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: ShopRequest) -> HttpResponse:
        request.embedded = False
        request.shopify_user_id = ""
        with reading_along():
            return self.get_response(request)

    def process_view(
        self, request: ShopRequest, view: View, args: object, kwargs: object
    ) -> HttpResponse | None:
        if getattr(view, "shopify_public", False):
            return None
        bearer = request.headers.get("Authorization", "")
        reads = getattr(view, "page_reads", None)
        if bearer.startswith("Bearer "):
            token = bearer.removeprefix("Bearer ")
            return self._from_token(request, token, page_load=False, page_reads=reads)
        if "id_token" in request.GET:
            token = request.GET["id_token"]
            return self._from_token(request, token, page_load=True, page_reads=reads)
        shop_id = request.session.get("demo_shop_id") if demo_enabled() else None
        shop = Shop.objects.filter(pk=shop_id).first() if shop_id else None
        if shop is not None:
            self._enter(request, shop)
            return None
        if request.method == "GET":
            return _bounce(request)
        return _unauthorized()

    def _from_token(
        self, request: ShopRequest, token: str, *, page_load: bool, page_reads: PageReads | None
    ) -> HttpResponse | None:
        try:
            session = decode_session_token(token)
            locale = request.GET.get("locale", "")
            shop = shop_from_session(session=session, locale=locale, page_reads=page_reads)
        except (InvalidSessionToken, shopify_api.ShopifyAuthError):
            return _bounce(request) if page_load else _unauthorized()
        except shopify_api.ShopifyTransientError:
            return _shopify_unavailable()
        if not page_load:
            # A bearer token is sent by App Bridge's fetch, never by a browser on its own:
            # it is the request's CSRF protection, and no cookie is involved.
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        request.embedded = True
        request.shopify_user_id = session.user_id
        self._enter(request, shop)
        return None

    @staticmethod
    def _enter(request: ShopRequest, shop: Shop) -> None:
        request.shop = shop
        current_shop_domain.set(shop.domain)
        translation.activate(shop.locale or settings.LANGUAGE_CODE)
        activate_shop_zone(shop.iana_timezone)
        request.LANGUAGE_CODE = translation.get_language()


class FrameAncestorsMiddleware:
    """Only the shop's own admin and admin.shopify.com may frame an HTML page of ours."""

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response["Content-Security-Policy"] = frame_ancestors(request)
        return response


def frame_ancestors(request: HttpRequest) -> str:
    shop: Shop | None = getattr(request, "shop", None)
    domain = shop.domain if shop else request.GET.get("shop", "")
    sources = [settings.SHOPIFY_ADMIN_ORIGIN]
    if is_valid_shop_domain(domain):
        sources.insert(0, f"https://{domain}")
    return f"frame-ancestors {' '.join(sources)};"
