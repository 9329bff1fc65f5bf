"""Django's admin app with Salestio's site (salestio/admin_site.py). Its own module: the app
registry imports it before any model exists."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "salestio.admin_site.StaffAdminSite"
