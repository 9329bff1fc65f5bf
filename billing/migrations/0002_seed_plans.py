"""The plans on offer. Prices and limits are data: change them in the database (or in a later
migration), not in code."""

from decimal import Decimal

from django.db import migrations

PLANS = [
    # code, name, monthly price, GMV limit per period (None: no limit), position
    ("free", "Free", "0", "1000", 0),
    ("starter", "Starter", "19", "5000", 1),
    ("growth", "Growth", "49", "25000", 2),
    ("pro", "Pro", "99", "100000", 3),
    ("unlimited", "Unlimited", "249", None, 4),
]


def add_plans(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for code, name, price, limit, position in PLANS:
        Plan.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "monthly_price": Decimal(price),
                "gmv_limit": Decimal(limit) if limit else None,
                "currency": "EUR",
                "position": position,
            },
        )


def remove_plans(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(code__in=[p[0] for p in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_plans_usage")]
    operations = [migrations.RunPython(add_plans, remove_plans)]
