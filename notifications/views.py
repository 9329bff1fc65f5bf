"""Settings, history and the public unsubscribe link. Thin: forms validate, services write."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications import selectors, services
from notifications.forms import NotificationSettingsForm
from notifications.links import unsubscribe_signature_valid
from notifications.models import SETTINGS_CATEGORIES, Category, Notification
from salestio.http import ShopRequest, query_id
from salestio.middleware import public
from salestio.models import Shop


@require_http_methods(["GET", "POST"])
def settings_page(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    prefs = selectors.notification_settings(shop=shop)
    data = request.POST if request.method == "POST" else None
    form = NotificationSettingsForm(data, instance=prefs)
    if form.is_valid():
        services.update_notification_settings(shop=shop, values=form.settings_values())
        # A flash message, not a flag in the URL: reloading the page must not say it again.
        messages.success(request, _("Settings saved."))
        return redirect("notifications:settings")
    test_id = query_id(request, "test")
    context = {
        "form": form,
        "owner_email": shop.owner_email,
        "test": selectors.notification_of(shop=shop, pk=test_id) if test_id else None,
    }
    return render(request, "notifications/settings.html", context)


@require_POST
def send_test_email(request: ShopRequest) -> HttpResponse:
    notification = services.send_test_email(shop=request.shop)
    return redirect(f"{reverse('notifications:settings')}?test={notification.pk}")


@require_GET
def test_email_status(request: ShopRequest, pk: int) -> JsonResponse:
    """The settings page's test-email notice as it stands now, for settings.js to swap in
    until the email is sent or failed; only the shop's own test emails."""
    test = selectors.notification_of(shop=request.shop, pk=pk)
    if test is None or test.category != Category.TEST:
        raise Http404
    html = render_to_string("notifications/_test_result.html", {"test": test}, request=request)
    status = test.email.status if test.email else "suppressed"
    return JsonResponse({"status": status, "html": html})


@require_GET
def history(request: ShopRequest) -> HttpResponse:
    category = request.GET.get("category", "")
    email_id = query_id(request, "email")
    rows = selectors.history(shop=request.shop, category=category, email_id=email_id)
    page = Paginator(rows, selectors.HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "categories": Category.choices,
        "category": category,
        "email_id": email_id or "",
    }
    return render(request, "notifications/history.html", context)


@require_GET
def notification_detail(request: ShopRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(
        Notification.objects.select_related("email"),
        pk=pk,
        shop=request.shop,
    )
    attempts = notification.email.delivery_attempts.all() if notification.email else []
    return render(
        request,
        "notifications/detail.html",
        {"notification": notification, "email": notification.email, "attempts": attempts},
    )


@public
@csrf_exempt  # mail clients POST the one-click request without a session (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, shop_id: int, category: str, signature: str) -> HttpResponse:
    """GET asks (link scanners must not unsubscribe anyone); POST turns the category off."""
    valid = category in SETTINGS_CATEGORIES and unsubscribe_signature_valid(
        shop_id, category, signature
    )
    shop = Shop.objects.filter(pk=shop_id).first() if valid else None
    if shop is None:
        return HttpResponseBadRequest("invalid unsubscribe link")
    if request.method == "POST":
        services.unsubscribe(shop=shop, category=category)
    with translation.override(selectors.notification_settings(shop=shop).email_language):
        return render(
            request,
            "notifications/unsubscribe.html",
            {
                "shop_name": shop.name or shop.domain,
                "category_label": Category(category).label,
                "done": request.method == "POST",
            },
        )
