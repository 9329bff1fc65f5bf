"""Order import: 1,000 Etsy orders for one shop into the sandbox Shopify, whose leaky bucket
restores 100 points/s (Shopify's standard limit, bucket of 2,000).

Prints the orders/s achieved, the most the bucket allows for this many orderCreate calls
(each costs MUTATION_COST points; the full bucket at the start is a free burst), their ratio,
the THROTTLED answers and duplicate Shopify orders. Runs in a throwaway database
bench_import_<name> and its own sandbox server on a loopback port.
"""

import os
import time
from collections import Counter
from typing import Any

ORDERS = int(os.environ.get("BENCH_IMPORT_ORDERS", "1000"))
RESTORE_RATE = 100.0
BUCKET = 2000.0


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salestio.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "sqlite":
        connection.settings_dict["TEST"]["NAME"] = (
            f"bench_import_{connection.settings_dict['NAME']}"
        )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        _with_sandbox()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _with_sandbox() -> None:
    from django.conf import settings
    from django.test.utils import override_settings

    from demo.wiring import sandbox_settings
    from sandbox.server import SandboxConfig, SandboxServer

    config = SandboxConfig(
        shopify_api_key=settings.SHOPIFY_API_KEY, shopify_api_secret=settings.SHOPIFY_API_SECRET
    )
    with SandboxServer(config) as server:
        overrides = sandbox_settings(server.url)
        overrides["SHOPIFY_SHOP_ORIGIN"] = f"{server.url}/shopify/{{shop}}"
        with override_settings(**overrides):
            _run(server)


def _run(server: Any) -> None:
    from billing import usage
    from billing.models import Plan
    from demo.accounts import connect_through_sandbox
    from orders import services
    from orders.models import Order, OrderStatus
    from salestio.models import Shop
    from sandbox.shopify import MUTATION_COST

    shopify, etsy = server.sandbox["/shopify"], server.sandbox["/etsy"]
    domain = "bench-import.myshopify.com"
    token = shopify.shop(domain).issue("authorization_code", expiring=False)["access_token"]
    shop = Shop.objects.create(domain=domain, access_token=token, currency="EUR")
    # No GMV limit: this measures export speed, not the plan pause.
    usage.apply_plan(shop=shop, plan=Plan.objects.get(code="unlimited"))
    account = connect_through_sandbox(shop, "etsy", "Bench Etsy", "", etsy.default_user)
    shopify.add_variant(domain, "SKU-1", quantity=ORDERS)
    for n in range(ORDERS):
        etsy.add_receipt(etsy.default_user, 100000 + n)
    shopify.set_rate_limit(domain, maximum=BUCKET, restore_rate=RESTORE_RATE)

    started = time.perf_counter()
    services.import_account(account=account)
    elapsed = time.perf_counter() - started

    state = shopify.shop(domain)
    imported = Order.objects.filter(account=account, status=OrderStatus.IMPORTED).count()
    duplicates = sum(n - 1 for n in Counter(o["sourceIdentifier"] for o in state.orders).values())
    achieved = ORDERS / elapsed
    # The fastest the bucket lets ORDERS orderCreate calls through: the starting bucket is a
    # burst, the rest arrives at RESTORE_RATE.
    allowed_seconds = max(ORDERS * MUTATION_COST - BUCKET, 0) / RESTORE_RATE
    allowed = ORDERS / allowed_seconds if allowed_seconds else float("inf")
    assert imported == ORDERS, f"only {imported} of {ORDERS} imported"
    print(f"bench_import: {ORDERS} orders, bucket {BUCKET:.0f} points, {RESTORE_RATE:.0f}/s")
    print(f"  achieved: {achieved:.2f} orders/s ({elapsed:.1f} s)")
    print(f"  allowed:  {allowed:.2f} orders/s (orderCreate costs {MUTATION_COST} points)")
    print(f"  THROTTLED answers: {state.throttled}, duplicate Shopify orders: {duplicates}")
    print(
        f"RESULT import ratio={achieved / allowed:.3f} throttled={state.throttled} "
        f"duplicates={duplicates}"
    )
