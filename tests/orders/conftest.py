"""Orders fixtures: the simulators, a connected account, and a shop the sandbox Shopify knows."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.accounts.conftest import connect, sims  # noqa: F401  (fixtures reused here)


@pytest.fixture
def shopify(sandbox: Any) -> Any:
    return sandbox.sandbox["/shopify"]


@pytest.fixture
def live_shop(make_shop: Callable[..., Any], shopify: Any) -> Any:
    """A shop whose offline token the sandbox Shopify issued."""
    domain = "orders-shop.myshopify.com"
    token = shopify.shop(domain).issue("authorization_code", expiring=False)["access_token"]
    return make_shop(domain, access_token=token)
