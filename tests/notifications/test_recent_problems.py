"""The dashboard's recent problems: open incidents first, resolved ones marked, each linked to
its object (account edit page, order and listing by id/SKU, the plans)."""

import re
from typing import Any

from notifications import services
from notifications.models import Category

INCIDENTS = [
    (Category.PLAN_LIMIT, "plan", {"usage": "4850", "limit": "5000", "currency": "EUR"}),
    (Category.ORDER_IMPORT_FAILED, "order", {"order_id": "302-1", "error": "No variant"}),
    (Category.LISTING_UPDATE_FAILED, "listing", {"sku": "MUG-BLUE-M", "error": "quantity"}),
    (
        Category.ACCOUNT_EXPIRED,
        "account",
        {"account_name": "Main", "marketplace": "Amazon", "action_url": "/accounts/7/edit"},
    ),
]


def problems(client: Any) -> list[tuple[str, str]]:
    """(open|resolved, link) of each recent problem, in the order shown."""
    page = client.get("/").content.decode()
    rows = re.findall(
        r"<li (?:class=\"resolved\" )?data-(open|resolved)><a href=\"([^\"]+)\"", page
    )
    return [(state, link) for state, link in rows]


def test_open_incidents_come_first_and_link_to_their_object(shop: Any, shop_client: Any) -> None:
    for category, key, context in INCIDENTS:
        services.notify(shop=shop, category=category, key=key, context=context)
    services.close_incident(shop=shop, category=Category.ACCOUNT_EXPIRED, key="account")
    services.close_incident(shop=shop, category=Category.PLAN_LIMIT, key="plan")

    shown = problems(shop_client(shop))

    assert [state for state, _ in shown] == ["open", "open", "resolved", "resolved"]
    assert {link for state, link in shown if state == "open"} == {
        "/orders/?q=302-1",
        "/listings/?q=MUG-BLUE-M",
    }
    assert {link for state, link in shown if state == "resolved"} == {
        "/accounts/7/edit",
        "/billing/",
    }
