"""Django's admin for the operator (staff users, Django's own login), at /staff/: plans and
exchange rates are data edited there. It authenticates by Django's session and staff flag,
not by a Shopify session token, so its views are marked public for ShopifySessionMiddleware;
the admin itself refuses anyone who is not logged in as staff."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from django.utils.text import slugify

from salestio.middleware import public


class StaffAdminSite(admin.AdminSite):
    site_header = "Salestio staff"
    site_title = "Salestio staff"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super().get_urls()
        _staff_only(urls, "staff")
        return urls

    @public
    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().login(request, extra_context)


def _staff_only(entries: list[Any], prefix: str) -> None:
    """Each admin URL: no Shopify session token asked (the admin checks its staff login), and
    a name (tests/salestio/test_isolation.py walks every URL by name; the admin leaves its
    redirects and catch-all unnamed)."""
    for entry in entries:
        route = slugify(str(entry.pattern)) or "root"
        if isinstance(entry, URLResolver):
            _staff_only(entry.url_patterns, f"{prefix}_{route}")
            continue
        # Admin views are wrapper functions made per URL; a bound method (login) is marked above.
        if not hasattr(entry.callback, "__func__"):
            public(entry.callback)
        entry.name = entry.name or f"{prefix}_{route}"
