from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("", views.plans, name="plans"),
    path("plans/<slug:code>/choose", views.choose, name="choose"),
    path("return", views.shopify_return, name="return"),
]
