"""Reactions of the listings app: a connected account's listings are discovered; the end
of billing's pause pushes what waited."""

from typing import Any

from django.dispatch import receiver

from accounts.models import Account
from accounts.signals import account_connected
from billing.signals import limit_lifted
from listings import services, tasks
from salestio.models import Shop


@receiver(limit_lifted)
def push_latest_after_pause(sender: Any, shop: Shop, **_: Any) -> None:
    services.resume_shop(shop=shop)


@receiver(account_connected)
def discover_listings_of_connected_account(sender: Any, account: Account, **_: Any) -> None:
    tasks.connect_listings.delay(account.pk)
