"""The dashboard's listing counters as an include, so the dashboard view needs no change."""

from typing import Any

from django import template

from listings import selectors
from salestio.models import Shop

register = template.Library()


@register.inclusion_tag("listings/_dashboard.html")
def listing_counters(shop: Shop) -> dict[str, Any]:
    return {"rows": selectors.counters_by_marketplace(shop=shop)}
