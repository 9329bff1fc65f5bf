"""Reactions of the accounts app to the tenant's life."""

from typing import Any

from django.dispatch import receiver

from accounts import transitions
from salestio.models import Shop
from salestio.signals import shop_reinstalled, shop_uninstalled


@receiver(shop_uninstalled)
def pause_accounts_of_uninstalled_shop(sender: Any, shop: Shop, **_: Any) -> None:
    transitions.pause_shop_accounts(shop=shop)


@receiver(shop_reinstalled)
def resume_accounts_of_reinstalled_shop(sender: Any, shop: Shop, **_: Any) -> None:
    transitions.resume_shop_accounts(shop=shop)
