"""`manage.py seed_demo`: the demo shop, then whatever each app seeds for it. Safe to run again.

The apps' seeders: accounts.demo (marketplace accounts connected through the sandbox, one of
them expired) and notifications.demo (the remaining banners, one email per category).
"""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts import demo as accounts_demo
from notifications import demo as notifications_demo
from salestio.models import Shop

DEMO_SHOP = "demo-shop.myshopify.com"
DEMO_DETAILS = {
    "name": "Demo Shop",
    "owner_email": "owner@demo-shop.example",
    "currency": "EUR",
    "iana_timezone": "Europe/Berlin",
    # A dummy offline token without expiry: the demo never exchanges a session token for it.
    "access_token": "shpat_demo_offline_token",
    "access_token_expires_at": None,
    "refresh_token": "",
    "uninstalled_at": None,
}


def sandbox_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('DEMO_SANDBOX_PORT', '8001')}"


def seed_shop() -> Shop:
    with transaction.atomic():
        shop, _ = Shop.objects.update_or_create(domain=DEMO_SHOP, defaults=DEMO_DETAILS)
    return shop


class Command(BaseCommand):
    help = "Create (or refresh) the demo shop and every app's demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sandbox-url",
            default=sandbox_url(),
            help="where `python -m sandbox` answers (default: %(default)s)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        shop = seed_shop()
        self.stdout.write(f"demo shop: {shop.domain}")
        # Emails on first, then accounts: its expired account raises the real banner and
        # email, and the notifications seeder only adds the categories still missing.
        notifications_demo.switch_every_category_on(shop)
        accounts_demo.seed(shop, options["sandbox_url"])
        self.stdout.write("accounts: seeded")
        notifications_demo.seed(shop)
        self.stdout.write("notifications: seeded")
