"""The plans page: the counter, the plans side by side, Choose, and Shopify's return."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing import selectors, services
from billing.models import Plan
from notifications.links import admin_app_url
from salestio.http import ShopRequest
from salestio.shopify_api import ShopifyError


def _render_plans(request: ShopRequest, *, status: int = 200) -> HttpResponse:
    shop = request.shop
    context = {
        "plans": selectors.plans(),
        "current": selectors.current_plan(shop=shop),
        "pending": selectors.pending_plan(shop=shop),
        "usage": selectors.usage_summary(shop=shop),
    }
    return render(request, "billing/plans.html", context, status=status)


@require_GET
def plans(request: ShopRequest) -> HttpResponse:
    return _render_plans(request)


@require_POST
def choose(request: ShopRequest, code: str) -> HttpResponse:
    # Plans are the same for every shop: named by their code, not a row id.
    plan = Plan.objects.filter(code=code, active=True).first()
    if plan is None:
        raise Http404
    try:
        confirmation_url = services.choose_plan(
            shop=request.shop, plan=plan, return_url=_return_url(request)
        )
    except services.PlanChangeRefused as refused:
        messages.error(request, str(refused))
        return _render_plans(request, status=400)
    except ShopifyError as error:
        messages.error(request, _("Shopify did not start the plan change: %s") % error)
        return _render_plans(request, status=502)
    if confirmation_url is None:
        messages.success(request, _("You are on the %s plan now.") % plan.name)
        return _render_plans(request)
    return _leave_iframe(request, confirmation_url, plan)


def _return_url(request: ShopRequest) -> str:
    """Where Shopify sends the merchant after the approval page: back into the admin when
    the app runs embedded, else straight to the app (standalone demo)."""
    path = reverse("billing:return")
    if request.embedded:
        return admin_app_url(request.shop, path)
    return f"{settings.SHOPIFY_APP_URL}{path}"


def _leave_iframe(request: ShopRequest, url: str, plan: Plan) -> HttpResponse:
    """The approval page must replace the whole window, not the admin's iframe
    (shopify.dev/docs/apps/launch/billing/subscription-billing: redirect the merchant to the
    confirmationUrl; App Bridge: window.open(url, "_top"))."""
    if request.embedded or request.headers.get("X-Requested-With") == "fetch":
        return render(request, "billing/confirm_redirect.html", {"url": url, "plan": plan})
    return HttpResponseRedirect(url)


@require_GET
def shopify_return(request: ShopRequest) -> HttpResponse:
    """returnUrl: Shopify's word on the active subscription decides, not this URL's query.
    Shopify appends charge_id; without it nobody came back from an approval page."""
    if "charge_id" not in request.GET:
        return _render_plans(request)
    asked_for = selectors.pending_plan(shop=request.shop)
    try:
        plan = services.confirm_from_shopify(shop=request.shop)
    except ShopifyError as error:
        messages.error(request, _("Shopify did not confirm the plan: %s") % error)
        return _render_plans(request, status=502)
    if asked_for is not None and asked_for.pk != plan.pk:
        messages.error(
            request,
            _("%(asked)s was not approved in Shopify; you stay on %(plan)s.")
            % {"asked": asked_for.name, "plan": plan.name},
        )
    else:
        messages.success(request, _("You are on the %s plan now.") % plan.name)
    return _render_plans(request)
