from django.urls import path

from listings import views

app_name = "listings"
urlpatterns = [path("", views.list, name="list")]
