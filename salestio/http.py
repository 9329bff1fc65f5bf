"""The request a shop's page receives, as typed for views."""

from django.http import HttpRequest

from salestio.models import Shop


class ShopRequest(HttpRequest):
    """A request ShopifySessionMiddleware let through to a non-public view.

    Only a type: the middleware sets these attributes on Django's own request object.
    """

    shop: Shop
    embedded: bool  # inside the Shopify admin iframe, authenticated by a session token
    shopify_user_id: str  # the admin user of that token; "" in the standalone demo
