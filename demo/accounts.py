"""The demo's marketplace accounts, connected for real through the sandbox simulators.

`seed(shop, sandbox_url=…)` logs in to each simulator over HTTP the way a merchant's browser
would, then revokes the Amazon authorization at the simulator and runs the ordinary check,
so the expired account, its banner and its email come from the production code path.
"""

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from django.test import override_settings
from django.utils import timezone

from accounts import services
from accounts.models import Account, Marketplace
from demo.wiring import sandbox_settings
from salestio.models import Shop
from sandbox import amazon, ebay, etsy

DEMO_ACCOUNTS = [
    (Marketplace.AMAZON, "My Amazon account", "DE", amazon.AmazonSimulator.default_user),
    (Marketplace.EBAY, "My eBay account", "77", ebay.EbaySimulator.default_user),
    (Marketplace.ETSY, "My Etsy shop", "", etsy.EtsySimulator.default_user),
]


def seed(shop: Shop, *, sandbox_url: str, **_: Any) -> None:
    """Connect the demo accounts (once per shop); Amazon ends up expired, eBay expiring."""
    if Account.objects.filter(shop=shop).exists():
        return
    with override_settings(**sandbox_settings(sandbox_url)):
        accounts = [
            connect_through_sandbox(shop, marketplace, name, site, user)
            for marketplace, name, site, user in DEMO_ACCOUNTS
        ]
        expired, expiring = accounts[0], accounts[1]
        _sandbox_control(sandbox_url, "amazon", "revoke", expired.external_id)
        services.check_account(account=expired)
        # The demo can't wait 18 months: the eBay grant is put 9 days from its hard limit,
        # and the ordinary check raises the expiring-soon warning.
        Account.objects.filter(pk=expiring.pk).update(
            reauthorize_by=timezone.now() + timedelta(days=9)
        )
        services.check_account(account=Account.objects.get(pk=expiring.pk))


def connect_through_sandbox(
    shop: Shop, marketplace: str, name: str, site: str, user: str
) -> Account:
    """Connect → start URL → consent page ("Allow" as `user`) → callback, as the browser
    would, carrying the start URL's cookie back."""
    account = services.create_account(shop=shop, marketplace=marketplace, name=name, site=site)
    start = services.start_login(ticket=services.begin_login(account=account))
    consent = requests.post(
        start.consent_url, data={"user": user}, allow_redirects=False, timeout=10
    )
    consent.raise_for_status()
    params = dict(parse_qsl(urlsplit(consent.headers["Location"]).query))
    oauth_state = services.claim_state(
        state=params["state"],
        marketplace=marketplace,
        browser_cookies={start.cookie_name: start.browser_key},
    )
    return services.complete_login(oauth_state=oauth_state, params=params)


def _sandbox_control(sandbox_url: str, simulator: str, action: str, user: str) -> None:
    response = requests.post(
        f"{sandbox_url.rstrip('/')}/{simulator}/_sandbox/{action}", data={"user": user}, timeout=10
    )
    response.raise_for_status()
