"""Accounts pages, the marketplace login callbacks and eBay's account-deletion endpoint."""

import json

from django.conf import settings
from django.contrib import messages
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
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import ebay_deletion, login, selectors
from accounts.forms import AccountForm
from accounts.marketplaces import ADAPTERS, MarketplaceError
from accounts.models import Account, Marketplace, OAuthState
from salestio.http import ShopRequest
from salestio.middleware import demo_enabled, public


def _render_list(request: ShopRequest, bound: AccountForm | None = None) -> HttpResponse:
    """The list and one connect form per marketplace (`bound` replaces its blank one)."""
    forms = [
        (
            m.value,
            m.label,
            bound
            if bound is not None and bound.prefix == m.value
            else AccountForm(marketplace=m.value, prefix=m.value),
        )
        for m in Marketplace
    ]
    accounts = selectors.shop_accounts(shop=request.shop)
    return render(
        request,
        "accounts/list.html",
        {"accounts": accounts, "connect_forms": forms},
        status=200 if bound is None else 400,
    )


@require_GET
def account_list(request: ShopRequest) -> HttpResponse:
    return _render_list(request)


@require_POST
def account_connect(request: ShopRequest, marketplace: str) -> HttpResponse:
    if marketplace not in ADAPTERS:
        raise Http404
    form = AccountForm(request.POST, marketplace=marketplace, prefix=marketplace)
    if not form.is_valid():
        return _render_list(request, bound=form)
    account = login.create_account(
        shop=request.shop,
        marketplace=marketplace,
        name=form.cleaned_data["name"],
        site=form.site_value(),
    )
    return _to_consent(request, account)


@require_http_methods(["GET", "POST"])
def account_edit(request: ShopRequest, account_id: int) -> HttpResponse:
    account = selectors.shop_account(shop=request.shop, account_id=account_id)
    initial = {"name": account.name, "site": account.site}
    form = AccountForm(request.POST or None, initial=initial, marketplace=account.marketplace)
    if request.method == "POST" and form.is_valid():
        login.rename_account(account=account, name=form.cleaned_data["name"])
        # A new marketplace/site is kept on the login and applied only once it succeeds.
        return _to_consent(request, account, site=form.site_value())
    if request.GET.get("restored") and account.status == Account.Status.ACTIVE:
        messages.success(request, _("Connection restored."))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/edit.html", {"account": account, "form": form}, status=status)


def _to_consent(request: ShopRequest, account: Account, *, site: str = "") -> HttpResponse:
    """ "Save account" runs the marketplace login, which must be a top-level navigation.

    Inside the admin iframe the form arrives by fetch (forms.js); a redirect there would be
    followed by fetch, so that case gets a page that moves the top window instead. Either
    way the browser goes to our start URL first (oauth_start), not to the marketplace.
    """
    url = login.login_start_url(login.begin_login(account=account, site=site))
    if request.embedded or request.headers.get("X-Requested-With") == "fetch":
        return render(request, "accounts/consent_redirect.html", {"account": account, "url": url})
    return HttpResponseRedirect(url)


def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    return render(request, "accounts/callback_refused.html", {"reason": str(exc)}, status=400)


@public
@require_GET
def oauth_start(request: HttpRequest, ticket: str) -> HttpResponse:
    """The top-level step between "Save account" and the consent page: the browser taking it
    gets the login's key as a first-party cookie, and only that browser may complete it.

    Lax, so the marketplace's redirect back (a top-level GET) carries it; HttpOnly, as no
    script needs it; Secure outside DEBUG (plain-HTTP development).

    Only our own pages open this URL (the redirect after Save account, or consent_redirect
    from inside the admin iframe): Fetch Metadata says "same-origin". The link handed to
    someone else would arrive as "none" (pasted, from a mail) or "cross-site" and would key
    *their* browser; it is refused unspent. Browsers that send no Fetch Metadata pass.
    """
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return _refused(request, login.InvalidState("login link opened outside Salestio"))
    try:
        start = login.start_login(ticket=ticket)
    except login.InvalidState as exc:
        return _refused(request, exc)
    response = HttpResponseRedirect(start.consent_url)
    response.set_cookie(
        start.cookie_name,
        start.browser_key,
        max_age=start.max_age,
        path="/",
        secure=not settings.DEBUG,
        httponly=True,
        samesite="Lax",
    )
    return response


@public
@require_GET
def oauth_callback(request: HttpRequest, marketplace: str) -> HttpResponse:
    """The marketplace sends the merchant back here: the signed state names the login, the
    start URL's cookie proves this is the browser that began it."""
    params = request.GET.dict()
    session_shop = request.session.get("demo_shop_id") if demo_enabled() else None
    try:
        oauth_state = login.claim_state(
            state=params.get("state", ""),
            marketplace=marketplace,
            browser_cookies=request.COOKIES,
            session_shop_id=session_shop,
        )
    except login.InvalidState as exc:
        return _refused(request, exc)
    response = _finish_login(request, oauth_state, params)
    response.delete_cookie(login.login_cookie_name(oauth_state.pk), path="/", samesite="Lax")
    return response


def _finish_login(
    request: HttpRequest, oauth_state: OAuthState, params: dict[str, str]
) -> HttpResponse:
    account = oauth_state.account
    if "error" in params:
        error = _("The login was cancelled at %(marketplace)s (%(error)s).") % {
            "marketplace": account.display_name,
            "error": params["error"],
        }
        return _back_to_app(request, account, error=error)
    try:
        login.complete_login(oauth_state=oauth_state, params=params)
    except MarketplaceError as exc:
        return _back_to_app(request, account, error=str(exc))
    return _back_to_app(request, account)


def _back_to_app(request: HttpRequest, account: Account, *, error: str = "") -> HttpResponse:
    """Demo mode returns to the page itself; embedded, to the page inside the Shopify admin."""
    if demo_enabled() and request.session.get("demo_shop_id") == account.shop_id:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Connection restored."))
        return HttpResponseRedirect(reverse("accounts:edit", args=[account.pk]))
    if error:
        login.record_login_failure(account=account, error=error)
    # Embedded pages keep no cookie to carry a flash message across the admin, so the
    # outcome travels in the URL; the edit page confirms it only if the account is active.
    admin = f"{settings.SHOPIFY_ADMIN_ORIGIN}/store/{account.shop.store_handle}"
    outcome = "" if error else "?restored=1"
    return HttpResponseRedirect(
        f"{admin}/apps/{settings.SHOPIFY_API_KEY}/accounts/{account.pk}/edit{outcome}"
    )


@public
@csrf_exempt
@require_http_methods(["GET", "POST"])
def ebay_account_deletion(request: HttpRequest) -> HttpResponse:
    """eBay's mandatory Marketplace Account Deletion endpoint: challenge, then notifications."""
    if request.method == "GET":
        challenge = request.GET.get("challenge_code", "")
        if not challenge:
            return HttpResponseBadRequest("challenge_code missing")
        return JsonResponse({"challengeResponse": ebay_deletion.challenge_response(challenge)})
    return _ebay_deletion_notification(request)


def _ebay_deletion_notification(request: HttpRequest) -> HttpResponse:
    header = request.headers.get("X-Ebay-Signature", "")
    try:
        verified = ebay_deletion.verify_signature(header=header, body=request.body)
    except MarketplaceError:
        return HttpResponse("public key unavailable", status=503)  # eBay retries
    if not verified:
        return HttpResponse("bad signature", status=412)
    try:
        message = json.loads(request.body)
        data = message["notification"]["data"]
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest("not a deletion notification")
    if message.get("metadata", {}).get("topic") == "MARKETPLACE_ACCOUNT_DELETION":
        ebay_deletion.forget_ebay_user(
            user_id=str(data.get("userId", "")), username=str(data.get("username", ""))
        )
    return HttpResponse(status=204)
