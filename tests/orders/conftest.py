"""Orders fixtures: the simulators, a connected account, and a shop the sandbox Shopify knows."""

from collections.abc import Callable
from typing import Any

import pytest

from billing import usage
from billing.catalogue import PLANS, plan_defaults
from billing.models import Plan
from tests.accounts.conftest import connect, sims  # noqa: F401  (fixtures reused here)


@pytest.fixture
def shopify(sandbox: Any) -> Any:
    return sandbox.sandbox["/shopify"]


@pytest.fixture
def live_shop(make_shop: Callable[..., Any], shopify: Any) -> Any:
    """A shop whose offline token the sandbox Shopify issued."""
    domain = "orders-shop.myshopify.com"
    token = shopify.shop(domain).issue("authorization_code", expiring=False)["access_token"]
    shop = make_shop(domain, access_token=token)
    # On the plan without a GMV limit: these tests import many orders; the limit has its own.
    usage.apply_plan(shop=shop, plan=plan("unlimited"))
    return shop


def plan(code: str) -> Plan:
    """A catalogue plan (transactional tests flush the data migration's rows)."""
    position = next(i for i, row in enumerate(PLANS) if row[0] == code)
    return Plan.objects.get_or_create(code=code, defaults=plan_defaults(position))[0]
