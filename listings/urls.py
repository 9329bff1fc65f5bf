from django.urls import path

from listings import views

app_name = "listings"
urlpatterns = [
    path("", views.list, name="list"),
    path("update/", views.update_selected, name="update-selected"),
    path("locations/", views.locations, name="locations"),
    path("<int:listing_id>/", views.detail, name="detail"),
    path("<int:listing_id>/update/", views.update_one, name="update"),
    path("<int:listing_id>/link/", views.link_listing, name="link"),
    path("<int:listing_id>/unlink/", views.unlink_listing, name="unlink"),
    path("discover/<int:account_id>/", views.discover, name="discover"),
]
