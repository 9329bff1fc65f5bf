"""The demo's own beat task: the sandbox marketplaces keep selling while `make demo` runs."""

from celery import shared_task
from django.conf import settings

from demo import orders
from demo.seeding import DEMO_SHOP
from salestio.models import Shop


@shared_task
def produce_demo_orders() -> list[str]:
    shop = Shop.objects.filter(domain=DEMO_SHOP).first()
    if shop is None:
        return []
    # The sandbox serves every simulator from one origin; Etsy's API origin names it.
    sandbox_url = settings.ETSY_API_ORIGIN.removesuffix("/etsy")
    return orders.produce(shop, sandbox_url)
