"""The marketplace's own spelling, for the dashboard's counters and the listings page."""

from django import template

from accounts.models import Marketplace

register = template.Library()


@register.filter
def marketplace_name(code: str) -> str:
    """ "ebay" → "eBay": the marketplace's own spelling, not `|title`'s "Ebay"."""
    return str(Marketplace(code).label) if code in Marketplace.values else code
