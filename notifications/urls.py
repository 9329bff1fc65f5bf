import logging
from collections.abc import Callable
from functools import wraps

from anymail import urls as anymail_urls
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern, include, path

from notifications import views
from salestio.middleware import public

log = logging.getLogger(__name__)
# What anymail's ESP parsers raise on a body that is not the ESP's format: `{not json` is a
# ValueError, `[]` where an object belongs an AttributeError/TypeError, a missing field a
# KeyError, SendGrid's `"timestamp": "notanumber"` a ValueError.
MALFORMED_PAYLOAD = (ValueError, TypeError, KeyError, AttributeError, IndexError)


def _public_webhook(pattern: URLPattern) -> URLPattern:
    """Anymail's tracking views authenticate by basic auth (ANYMAIL WEBHOOK_SECRET), not by a
    Shopify session; a wrapper marks them so without touching anymail's own function, and
    answers a body anymail cannot parse with 400 (the ESP sees its mistake; we log it)."""
    view: Callable[..., HttpResponse] = pattern.callback

    @wraps(view)
    def webhook(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except MALFORMED_PAYLOAD:
            log.warning("malformed %s tracking payload", pattern.name, exc_info=True)
            return HttpResponseBadRequest("malformed tracking payload")

    return path(str(pattern.pattern), public(webhook), name=pattern.name)


def tracking_patterns(esp: str) -> list[URLPattern]:
    """Only the configured ESP's view: another ESP's raises on its missing settings (a 500 for
    anyone who posts to it)."""
    return [
        _public_webhook(pattern)
        for pattern in anymail_urls.urlpatterns
        if isinstance(pattern, URLPattern) and pattern.name == f"{esp}_tracking_webhook"
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
    path("anymail/", include((tracking_patterns(settings.ANYMAIL_TRACKING_ESP), "anymail"))),
]
