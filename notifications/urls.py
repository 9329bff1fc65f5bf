from collections.abc import Callable
from functools import wraps

from anymail import urls as anymail_urls
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, include, path

from notifications import views
from salestio.middleware import public


def _public_webhook(pattern: URLPattern) -> URLPattern:
    """Anymail's tracking views authenticate by basic auth (ANYMAIL WEBHOOK_SECRET), not by a
    Shopify session; a wrapper marks them so without touching anymail's own function."""
    view: Callable[..., HttpResponse] = pattern.callback

    @wraps(view)
    def webhook(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        return view(request, *args, **kwargs)

    return path(str(pattern.pattern), public(webhook), name=pattern.name)


anymail_tracking = [
    _public_webhook(pattern)
    for pattern in anymail_urls.urlpatterns
    if isinstance(pattern, URLPattern) and str(pattern.name).endswith("_tracking_webhook")
]

app_name = "notifications"
urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/test-email/", views.send_test_email, name="test-email"),
    path(
        "settings/test-email/<int:pk>/status",
        views.test_email_status,
        name="test-email-status",
    ),
    path("notifications/", views.history, name="history"),
    path("notifications/<int:pk>/", views.notification_detail, name="detail"),
    path(
        "unsubscribe/<int:shop_id>/<slug:category>/<slug:signature>/",
        views.unsubscribe,
        name="unsubscribe",
    ),
    path("anymail/", include((anymail_tracking, "anymail"))),
]
