"""The plans on offer (billing/catalogue.py). Prices and limits are data from here on."""

from django.db import migrations

from billing.catalogue import PLANS, install_plans


def add_plans(apps, schema_editor):
    install_plans(apps.get_model("billing", "Plan"))


def remove_plans(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(code__in=[p[0] for p in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_plans_usage")]
    operations = [migrations.RunPython(add_plans, remove_plans)]
