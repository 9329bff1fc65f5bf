from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

NAVIGATION = [
    ("dashboard", _("Dashboard")),
    ("accounts:list", _("Accounts")),
    ("orders:list", _("Orders")),
    ("listings:list", _("Listings")),
    ("billing:plans", _("Plans")),
    ("notifications:settings", _("Settings")),
    ("notifications:history", _("Email history")),
]


def shopify(request: HttpRequest) -> dict[str, Any]:
    context = {
        "shopify_api_key": settings.SHOPIFY_API_KEY,
        "app_bridge_url": settings.SHOPIFY_APP_BRIDGE_URL,
        "polaris_url": settings.SHOPIFY_POLARIS_URL,
        "navigation": NAVIGATION,
        "current_shop": getattr(request, "shop", None),
    }
    if getattr(request, "embedded", False):
        # Inside the admin iframe the session token is the CSRF protection; asking for a
        # CSRF token would set a cookie, which embedded pages must not rely on.
        # "NOTPROVIDED" is the value that makes {% csrf_token %} render nothing.
        context["csrf_token"] = "NOTPROVIDED"
    return context
