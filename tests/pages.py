"""The app's pages, in one list: the German, accessibility, small-screen and embedded tests
walk it, so a page is checked as soon as it is added here.

Every tab of the navigation (salestio.context_processors.NAVIGATION) is a page by itself;
pages that show one object follow, each finding its object in the shop's (demo) data. A new
app adds its detail pages to OBJECT_PAGES, e.g. ("orders:detail", lambda shop: {"pk": …}).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from accounts.models import Account
from notifications.models import Category, Notification
from salestio.context_processors import NAVIGATION
from salestio.models import Shop


@dataclass(frozen=True)
class Page:
    name: str
    kwargs: Callable[[Shop], dict[str, Any]]

    def path(self, shop: Shop) -> str:
        return reverse(self.name, kwargs=self.kwargs(shop))


def _account(status: str) -> Callable[[Shop], dict[str, Any]]:
    def kwargs(shop: Shop) -> dict[str, Any]:
        account = Account.objects.filter(shop=shop, status=status).order_by("pk").first()
        assert account is not None, f"the page needs a seeded {status} account"
        return {"account_id": account.pk}

    return kwargs


def _emailed_incident(shop: Shop) -> dict[str, Any]:
    incident = (
        Notification.objects.filter(shop=shop, email__isnull=False)
        .exclude(category=Category.TEST)
        .order_by("pk")
        .first()
    )
    assert incident is not None, "the page needs a seeded notification"
    return {"pk": incident.pk}


OBJECT_PAGES: list[tuple[str, Callable[[Shop], dict[str, Any]]]] = [
    ("accounts:edit", _account(Account.Status.EXPIRED)),
    ("accounts:edit", _account(Account.Status.ACTIVE)),
    ("notifications:detail", _emailed_incident),
    ("listings:locations", lambda shop: {}),
]

PAGES: list[Page] = [Page(name, lambda shop: {}) for name, _label in NAVIGATION] + [
    Page(name, kwargs) for name, kwargs in OBJECT_PAGES
]


def demo_shop(sandbox: Any, *, locale: str = "en") -> Shop:
    """The demo shop with its data, seeded as `make demo` seeds it (seed_demo) against the
    running `sandbox` fixture."""
    from django.conf import settings
    from django.core.management import call_command

    from billing.catalogue import install_plans
    from billing.models import Plan
    from demo.seeding import DEMO_SHOP

    install_plans(Plan)  # transactional tests flush the data migration's plans
    # Shopify's grant goes back to the app the test serves (the sandbox checks redirect_uri).
    sandbox.sandbox.config.app_url = settings.SHOPIFY_APP_URL
    call_command("seed_demo", sandbox_url=sandbox.url, stdout=_Discard())
    shop = Shop.objects.get(domain=DEMO_SHOP)
    shop.locale = locale
    shop.save(update_fields=["locale"])
    return shop


class _Discard:
    def write(self, text: str) -> int:
        return len(text)
