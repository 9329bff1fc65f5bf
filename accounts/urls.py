from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("connect/<str:marketplace>/", views.account_connect, name="connect"),
    path("<int:account_id>/edit", views.account_edit, name="edit"),
    path("oauth/start/<str:ticket>", views.oauth_start, name="oauth-start"),
    path("oauth/<str:marketplace>/callback", views.oauth_callback, name="callback"),
    path("ebay/account-deletion", views.ebay_account_deletion, name="ebay-account-deletion"),
]
