"""Plans are data the operator edits in Django's admin (/staff/), behind Django's staff login;
a shop's session token opens nothing there."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from billing.models import Plan
from salestio.models import Shop


def test_staff_change_a_plans_limit_and_the_plans_page_shows_it(
    admin_client: Any, shop: Shop, shop_client: Callable[[Shop], Any]
) -> None:
    plan = Plan.objects.get(code="growth")
    page = admin_client.get(f"/staff/billing/plan/{plan.pk}/change/")
    assert page.status_code == 200 and b"growth" in page.content
    form = {
        "code": "growth",
        "name": "Growth",
        "monthly_price": "59.00",
        "gmv_limit": "30000.00",
        "currency": "EUR",
        "position": "2",
        "active": "on",
    }
    saved = admin_client.post(f"/staff/billing/plan/{plan.pk}/change/", form)
    assert saved.status_code == 302
    plan.refresh_from_db()
    assert (plan.monthly_price, plan.gmv_limit) == (Decimal("59.00"), Decimal("30000.00"))
    assert (
        "GMV up to €30,000.00 per billing period"
        in shop_client(shop).get("/billing/").content.decode()
    )


def test_the_admin_asks_for_a_staff_login(client: Any, db: None) -> None:
    response = client.get("/staff/billing/plan/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert client.get("/staff/login/").status_code == 200


def test_a_shops_session_token_is_no_staff_login(
    shop: Shop, shop_client: Callable[[Shop], Any]
) -> None:
    response = shop_client(shop).get("/staff/billing/plan/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
