"""Listings fixtures, a plugin of tests/conftest.py so the browser tests share them: a shop
the sandbox Shopify knows, accounts connected through the simulators' real login, and
listings linked the way a merchant's would be (Shopify's variants reconciled over GraphQL,
the marketplace's listings discovered over its API)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

import pytest
from django.utils import timezone

from accounts.models import Account
from demo.accounts import connect_through_sandbox
from listings import linking, services
from listings import shopify as shopify_changes
from listings.models import Listing
from notifications.models import SETTINGS_CATEGORIES, Category
from notifications.services import update_notification_settings
from tests.shopify_webhooks import deliver

SITES = {"amazon": "DE", "ebay": "77", "etsy": ""}


@dataclass
class Sims:
    shopify: Any
    amazon: Any
    ebay: Any
    etsy: Any


@pytest.fixture
def sims(sandbox: Any) -> Sims:
    return Sims(*(sandbox.sandbox[f"/{name}"] for name in ("shopify", "amazon", "ebay", "etsy")))


@pytest.fixture
def store(make_shop: Callable[..., Any], sims: Sims) -> Any:
    """A shop holding an access token the sandbox Shopify accepts."""
    domain = "listing-shop.myshopify.com"
    token = sims.shopify.shop(domain).issue("test", expiring=False)["access_token"]
    return make_shop(domain, access_token=token)


@pytest.fixture
def connect(sims: Sims) -> Callable[[Any, str], Account]:
    def run(shop: Any, marketplace: str) -> Account:
        user = getattr(sims, marketplace).default_user
        return connect_through_sandbox(
            shop, marketplace, f"My {marketplace}", SITES[marketplace], user
        )

    return run


@pytest.fixture
def link_all(sims: Sims) -> Callable[[Any, Account], list[Listing]]:
    """Reconcile the store's variants, then discover the account's listings."""

    def run(shop: Any, account: Account) -> list[Listing]:
        shopify_changes.reconcile(shop=shop)
        linking.discover(account=account)
        return list(Listing.objects.filter(account=account).order_by("pk"))

    return run


@pytest.fixture
def change_quantity(
    client: Any, sims: Sims, django_capture_on_commit_callbacks: Any
) -> Callable[[Any, int, int], None]:
    """The merchant changes a quantity in the sandbox Shopify; its inventory_levels/update
    webhook reaches the app's intake, signed as Shopify signs it."""

    def run(shop: Any, inventory_item_id: int, available: int) -> None:
        payload = sims.shopify.catalog.set_available(
            shop.domain, inventory_item_id, 1001, available
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = deliver(
                client,
                "inventory_levels/update",
                json.dumps(payload).encode(),
                shop_domain=shop.domain,
            )
        assert response.status_code == 200

    return run


@pytest.fixture
def push(django_capture_on_commit_callbacks: Any) -> Callable[..., int]:
    """What the push task does once the debounce (or a retry's wait) has passed; what it
    commits (the notification's email) is sent."""

    def run(account: Account, *, after: timedelta = timedelta(seconds=2)) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.push_account(
                account=Account.objects.select_related("shop").get(pk=account.pk),
                now=timezone.now() + after,
            )

    return run


@pytest.fixture
def emails_on() -> Callable[[Any], None]:
    def run(shop: Any) -> None:
        values: dict[str, Any] = {
            str(c): c == Category.LISTING_UPDATE_FAILED for c in SETTINGS_CATEGORIES
        }
        values.update({"use_shop_email": True, "email": "", "language": "en"})
        update_notification_settings(shop=shop, values=values)

    return run


class Sync(NamedTuple):
    """The pieces a push test takes together: sandboxes, a store, and the sync's steps."""

    sims: Sims
    store: Any
    connect: Callable[[Any, str], Account]
    link_all: Callable[[Any, Account], list[Listing]]
    change_quantity: Callable[[Any, int, int], None]
    push: Callable[..., int]


@pytest.fixture
def sync(
    sims: Sims,
    store: Any,
    connect: Callable[[Any, str], Account],
    link_all: Callable[[Any, Account], list[Listing]],
    change_quantity: Callable[[Any, int, int], None],
    push: Callable[..., int],
) -> Sync:
    return Sync(sims, store, connect, link_all, change_quantity, push)
