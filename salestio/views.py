"""Core pages: dashboard, the bounce page, install/OAuth callback, health, demo login."""

import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing import selectors as billing_selectors
from listings import selectors as listing_selectors
from notifications import selectors as notification_selectors
from notifications.banners import presented
from notifications.conditions import holding, reads_ahead
from notifications.links import object_path
from salestio import services, shopify_api
from salestio.celery import app as celery_app
from salestio.db import Read, read_together
from salestio.http import ShopRequest
from salestio.middleware import demo_enabled, page_reads, public
from salestio.models import Shop
from salestio.shopify_auth import is_valid_shop_domain, verify_query_hmac

INSTALL_STATE_SALT = "salestio.install-state"
INSTALL_STATE_MAX_AGE = 600


def dashboard_reads(shop: Shop) -> list[Read[Any, Any]]:
    """The dashboard's own reads, in one round trip (docs/architecture.md, "The dashboard's
    reads"), and with the shop's read once the process knows the shop (page_reads)."""
    return [
        notification_selectors.dashboard_banners_read(shop=shop),
        notification_selectors.notification_settings_read(shop=shop),
        notification_selectors.recent_problems_read(shop=shop),
        billing_selectors.usage_summary_read(shop=shop),
        listing_selectors.counters_by_marketplace_read(shop=shop),
        # What the banners' conditions check, for the same banners.
        *reads_ahead(shop=shop, newest=notification_selectors.dashboard_banner_rows()),
    ]


@page_reads(dashboard_reads)
@require_GET
def dashboard(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    (banners, more_banners), prefs, problems, usage, listing_counters, *conditions = read_together(
        *dashboard_reads(shop)
    )
    return render(
        request,
        "salestio/dashboard.html",
        {
            "shop": shop,
            # The stale ones of the newest few are left out; the sweep resolves them.
            "banners": presented(holding(banners, read=conditions)),
            "more_banners": more_banners,
            "emails_on": prefs.any_enabled,
            "problems": [(problem, object_path(problem)) for problem in problems],
            "usage": usage,
            "listing_counters": listing_counters,
        },
    )


@require_POST
def set_locale(request: ShopRequest) -> HttpResponse:
    """The language of Salestio's pages and emails for this shop."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest("unsupported language")
    services.set_shop_locale(shop=request.shop, locale=language)
    with translation.override(language):  # confirmed in the language just chosen
        messages.success(
            request,
            _("Language changed to %(language)s.")
            % {"language": translation.get_language_info(language)["name_local"]},
        )
    return HttpResponseRedirect(reverse("dashboard"))


@public
@require_GET
def bounce(request: HttpRequest) -> HttpResponse:
    """Shopify's patch-id-token page: App Bridge reloads `shopify-reload` with a fresh token."""
    return render(request, "salestio/bounce.html")


@public
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_answers(), "broker": _broker_answers()}
    return JsonResponse(checks, status=200 if all(checks.values()) else 503)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_answers() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@public
@require_GET
def install(request: HttpRequest) -> HttpResponse:
    """Authorization-code install: send the merchant to Shopify's grant screen."""
    shop = request.GET.get("shop", "")
    if not is_valid_shop_domain(shop):
        return HttpResponseBadRequest("shop must be a myshopify.com domain")
    nonce = secrets.token_urlsafe(16)
    state = signing.dumps({"shop": shop, "nonce": nonce}, salt=INSTALL_STATE_SALT)
    query = urlencode(
        {
            "client_id": settings.SHOPIFY_API_KEY,
            "scope": settings.SCOPES,
            "redirect_uri": f"{settings.SHOPIFY_APP_URL}{reverse('oauth-callback')}",
            "state": state,
        }
    )
    response = HttpResponseRedirect(
        f"{shopify_api.shop_origin(shop)}/admin/oauth/authorize?{query}"
    )
    # The top-level install flow is outside the iframe, so this cookie binds state to browser.
    response.set_cookie(
        "shopify_install_nonce",
        nonce,
        max_age=INSTALL_STATE_MAX_AGE,
        httponly=True,
        secure=not settings.DEBUG,
        samesite="Lax",
    )
    return response


@public
@require_GET
def oauth_callback(request: HttpRequest) -> HttpResponse:
    params = request.GET.dict()
    shop = params.get("shop", "")
    if not (is_valid_shop_domain(shop) and verify_query_hmac(params)):
        return HttpResponseBadRequest("invalid signature")
    if not _state_matches(request, shop, params.get("state", "")):
        return HttpResponseBadRequest("invalid or expired state")
    try:
        token = shopify_api.exchange_authorization_code(shop, params.get("code", ""))
    except shopify_api.ShopifyAuthError:
        return HttpResponseBadRequest("Shopify refused the authorization code")
    services.install_shop(shop_domain=shop, token=token)
    admin = f"{settings.SHOPIFY_ADMIN_ORIGIN}/store/{shop.removesuffix('.myshopify.com')}"
    response = HttpResponseRedirect(f"{admin}/apps/{settings.SHOPIFY_API_KEY}")
    response.delete_cookie("shopify_install_nonce")
    return response


def _state_matches(request: HttpRequest, shop: str, state: str) -> bool:
    try:
        data = signing.loads(state, salt=INSTALL_STATE_SALT, max_age=INSTALL_STATE_MAX_AGE)
    except signing.BadSignature:
        return False
    nonce = request.COOKIES.get("shopify_install_nonce", "")
    return bool(data.get("shop") == shop and nonce and secrets.compare_digest(nonce, data["nonce"]))


@public
def demo_login(request: HttpRequest) -> HttpResponse:
    """Standalone demo: pick the seeded shop without Shopify. Exists only in DEBUG + DEMO_MODE."""
    if not demo_enabled():
        raise Http404
    shops = Shop.objects.installed().order_by("domain")
    if request.method == "POST":
        shop = shops.filter(pk=request.POST.get("shop_id") or 0).first()
        if shop is not None:
            request.session["demo_shop_id"] = shop.pk
            return HttpResponseRedirect(reverse("dashboard"))
    return render(request, "salestio/demo_login.html", {"shops": shops})


@require_POST
def demo_logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return HttpResponseRedirect(reverse("demo-login"))
