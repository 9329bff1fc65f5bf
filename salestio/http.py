"""The request a shop's page receives, as typed for views."""

from django.core.exceptions import BadRequest
from django.http import HttpRequest

from salestio.models import Shop


class ShopRequest(HttpRequest):
    """A request ShopifySessionMiddleware let through to a non-public view.

    Only a type: the middleware sets these attributes on Django's own request object.
    """

    shop: Shop
    embedded: bool  # inside the Shopify admin iframe, authenticated by a session token
    shopify_user_id: str  # the admin user of that token; "" in the standalone demo


# Every id is a positive bigint (BigAutoField); a larger number overflows the database driver.
MAX_ID = 2**63 - 1


def parse_id(raw: str) -> int | None:
    """An id as typed in a URL: ASCII digits in range, else None ("²".isdigit() is true)."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def query_id(request: HttpRequest, name: str) -> int | None:
    """The id in query parameter `name`: None when absent or empty, 400 when not an id."""
    raw = request.GET.get(name, "")
    if raw == "":
        return None
    value = parse_id(raw)
    if value is None:
        raise BadRequest(f"{name} must be an id")
    return value
