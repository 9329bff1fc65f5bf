"""Reactions of the listings app to billing's pause ending."""

from typing import Any

from django.dispatch import receiver

from billing.signals import limit_lifted
from listings import services
from salestio.models import Shop


@receiver(limit_lifted)
def push_latest_after_pause(sender: Any, shop: Shop, **_: Any) -> None:
    services.resume_shop(shop=shop)
