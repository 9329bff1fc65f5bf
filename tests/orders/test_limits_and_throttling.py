"""Amazon's 429s waited out, its 403 on one order kept to that order, and the plan-limit hook."""

from typing import Any

import pytest

from billing import limits, usage
from billing.signals import limit_lifted
from orders import tasks
from orders.models import Order, OrderStatus
from tests.orders.conftest import plan
from tests.orders.test_import import amazon_item

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
ORDERS_PATH = "/orders/v0/orders"
UNAUTHORIZED = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "Access to requested resource is denied.",
            "details": "",
        }
    ]
}
THROTTLED = {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota."}]}


def amazon_orders(sims: Any, count: int) -> list[str]:
    ids = [f"303-{n:07d}-0000001" for n in range(count)]
    for order_id in ids:
        sims.amazon.add_order(
            sims.amazon.default_user,
            order_id,
            items=[amazon_item(order_id, "MUG-1", 1, "10.00", "1.60")],
        )
    return ids


def test_a_429_ing_amazon_is_waited_out(
    connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    account = connect(live_shop, "amazon")
    shopify.add_variant(live_shop.domain, "MUG-1")
    ids = amazon_orders(sims, 3)
    sims.amazon.fail_next(429, THROTTLED, path=ORDERS_PATH, times=3)

    tasks.import_account_orders(account.pk)

    assert sorted(Order.objects.values_list("marketplace_order_id", flat=True)) == ids
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.IMPORTED}
    assert len(shopify.shop(live_shop.domain).orders) == 3


def test_a_403_on_one_orders_items_fails_that_order_only(
    connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    account = connect(live_shop, "amazon")
    shopify.add_variant(live_shop.domain, "MUG-1")
    first, second = amazon_orders(sims, 2)
    sims.amazon.fail_next(403, UNAUTHORIZED, path=f"{ORDERS_PATH}/{first}/orderItems")

    tasks.import_account_orders(account.pk)

    statuses = dict(Order.objects.values_list("marketplace_order_id", "status"))
    assert statuses == {first: OrderStatus.FAILED, second: OrderStatus.IMPORTED}
    assert "403" in Order.objects.get(marketplace_order_id=first).error
    account.refresh_from_db()
    assert account.status == account.Status.ACTIVE


def test_paused_exports_are_stored_and_go_out_once_when_the_limit_lifts(
    connect: Any, live_shop: Any, sims: Any, shopify: Any
) -> None:
    usage.apply_plan(shop=live_shop, plan=plan("free"))  # 1,000 EUR a period
    account = connect(live_shop, "etsy")
    shopify.add_variant(live_shop.domain, "SKU-1")
    big = sims.etsy.add_receipt(sims.etsy.default_user, 12000)
    big["grandtotal"] = {"amount": 150000, "divisor": 100, "currency_code": "EUR"}
    for n in range(1, 3):
        sims.etsy.add_receipt(sims.etsy.default_user, 12000 + n)

    tasks.import_account_orders(account.pk)

    assert limits.exports_paused(live_shop)
    assert Order.objects.filter(account=account, held_for_limit=True).count() == 3
    assert shopify.shop(live_shop.domain).orders == []

    # The upgrade ends the pause; billing sends limit_lifted and the held orders go out.
    usage.apply_plan(shop=live_shop, plan=plan("unlimited"))
    limit_lifted.send(sender=type(live_shop), shop=live_shop)  # a second signal adds nothing
    tasks.import_account_orders(account.pk)

    assert len(shopify.shop(live_shop.domain).orders) == 3
    assert Order.objects.filter(account=account, status=OrderStatus.IMPORTED).count() == 3
