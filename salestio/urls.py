from django.contrib import admin
from django.urls import include, path

from salestio import views, webhooks

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("locale", views.set_locale, name="set-locale"),
    path("auth/patch-id-token", views.bounce, name="bounce"),
    path("auth/install", views.install, name="install"),
    path("auth/callback", views.oauth_callback, name="oauth-callback"),
    path("demo/login", views.demo_login, name="demo-login"),
    path("demo/logout", views.demo_logout, name="demo-logout"),
    path("webhooks/shopify/", webhooks.shopify_webhook, name="shopify-webhook"),
    path("accounts/", include("accounts.urls")),
    path("orders/", include("orders.urls")),
    path("listings/", include("listings.urls")),
    path("billing/", include("billing.urls")),
    path("staff/", admin.site.urls),
    path("", include("notifications.urls")),
]
