"""The demo shop and the per-app seeders run for it, in order: the one place to add an app's.

Each seeder is `seed(shop, **kwargs)` and safe to run again; `sandbox_url` is passed to all.
The email settings come first (every category on, so the incidents the other seeders raise
are emailed), then the apps' seeders, each raising its banners and emails through the real
paths: nothing is inserted as a banner or a notification directly.
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction

from demo import accounts, billing, listings, notifications, orders
from salestio.models import Shop

Seeder = Callable[..., Any]

SEEDERS: list[tuple[str, Seeder]] = [
    ("email settings", notifications.switch_every_category_on),
    ("accounts", accounts.seed),
    # After the accounts: imports real orders from the sandbox marketplaces.
    ("orders", orders.seed),
    # After the orders: its real crossing at 85 % raises the plan banner and sends the
    # plan-limit email with the categories notifications switched on.
    ("billing", billing.seed),
    # After billing, which gives the demo shop the sandbox's token: listings reconciles the
    # store's variants through it, then discovers and pushes the marketplaces' listings.
    ("listings", listings.seed),
]

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


def seed_shop() -> Shop:
    with transaction.atomic():
        shop, _ = Shop.objects.update_or_create(domain=DEMO_SHOP, defaults=DEMO_DETAILS)
    return shop


def seed_all(*, sandbox_url: str, report: Callable[[str], object] = print) -> Shop:
    shop = seed_shop()
    report(f"demo shop: {shop.domain}")
    for name, seed in SEEDERS:
        seed(shop, sandbox_url=sandbox_url)
        report(f"{name}: seeded")
    return shop
