"""The dashboard's listing counters as an include, so the dashboard view needs no change."""

from typing import Any

from django import template

from accounts.models import Marketplace
from listings import selectors
from salestio.models import Shop

register = template.Library()


@register.inclusion_tag("listings/_dashboard.html")
def listing_counters(shop: Shop) -> dict[str, Any]:
    return {"rows": selectors.counters_by_marketplace(shop=shop)}


@register.filter
def marketplace_name(code: str) -> str:
    """ "ebay" → "eBay": the marketplace's own spelling, not `|title`'s "Ebay"."""
    return str(Marketplace(code).label) if code in Marketplace.values else code
