"""Accounts fixtures: the three simulators, and a merchant's login through the real views."""

import html
import re
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests
from django.utils import timezone

if TYPE_CHECKING:  # imported for real inside the fixtures, once Django is set up
    from accounts.models import Account
    from salestio.models import Shop

CONSENT_LINK = re.compile(r'class="button primary consent-link" href="([^"]+)"')
SITES = {"amazon": "DE", "ebay": "77", "etsy": ""}


@pytest.fixture
def sims(sandbox: Any) -> SimpleNamespace:
    return SimpleNamespace(
        amazon=sandbox.sandbox["/amazon"],
        ebay=sandbox.sandbox["/ebay"],
        etsy=sandbox.sandbox["/etsy"],
    )


def start_url_from(response: Any) -> str:
    """The embedded app answers "Save account" with a page that moves the top window to the
    login's start URL."""
    assert response.status_code == 200, response.content[:500]
    match = CONSENT_LINK.search(response.content.decode())
    assert match, "no consent link on the page"
    return html.unescape(match.group(1))


def open_start_url(client: Any, url: str) -> str:
    """The browser opens the start URL (keeping its cookie); returns the consent URL."""
    parts = urlsplit(url)
    response = client.get(parts.path, HTTP_AUTHORIZATION="")
    assert response.status_code == 302, response.content[:500]
    return str(response["Location"])


def consent_url_from(client: Any, response: Any) -> str:
    """The consent URL the merchant's browser reaches from "Save account"/"Connect"."""
    return open_start_url(client, start_url_from(response))


def approve(consent_url: str, user: str) -> str:
    """The merchant presses "Allow" on the simulator's consent page; returns the callback URL."""
    response = requests.post(consent_url, data={"user": user}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return str(response.headers["Location"])


def callback(client: Any, url: str) -> Any:
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}", HTTP_AUTHORIZATION="")


@pytest.fixture
def connect(
    shop_client: Callable[["Shop"], Any], sims: SimpleNamespace
) -> Callable[..., "Account"]:
    """Connect → consent → callback through the app's views and the simulators."""

    def run(shop: "Shop", marketplace: str, *, user: str = "", name: str = "") -> "Account":
        from accounts.models import Account

        client = shop_client(shop)
        form = {
            f"{marketplace}-name": name or f"My {marketplace}",
            f"{marketplace}-site": SITES[marketplace],
        }
        url = consent_url_from(client, client.post(f"/accounts/connect/{marketplace}/", form))
        user = user or getattr(sims, marketplace).default_user
        response = callback(client, approve(url, user))
        assert response.status_code == 302, response.content[:500]
        return Account.objects.filter(shop=shop, marketplace=marketplace).latest("pk")

    return run


def sweep_now(account: "Account") -> "Account":
    """Make the account due and run the beat task (Celery runs eagerly in tests)."""
    from accounts import tasks
    from accounts.models import Account

    Account.objects.filter(pk=account.pk).update(
        next_check_at=timezone.now() - timedelta(seconds=1)
    )
    tasks.sweep_accounts()
    return Account.objects.get(pk=account.pk)
