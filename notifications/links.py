"""URLs that leave the app: pages inside the Shopify admin, and signed unsubscribe links."""

from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.core.signing import Signer
from django.urls import get_script_prefix, reverse
from django.utils.crypto import constant_time_compare

from notifications.models import Category, Notification
from salestio.models import Shop

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def admin_app_url(shop: Shop, path: str) -> str:
    """A page of ours as the merchant opens it: inside the Shopify admin, not bare."""
    admin = settings.SHOPIFY_ADMIN_ORIGIN
    return f"{admin}/store/{shop.store_handle}/apps/{settings.SHOPIFY_API_KEY}{path}"


def page_path(url_name: str) -> str:
    """reverse() of a page without arguments, once per process and script prefix: the
    dashboard's banners and problems name a dozen on every load."""
    return _page_path(url_name, get_script_prefix())


@lru_cache(maxsize=64)
def _page_path(url_name: str, script_prefix: str) -> str:
    return reverse(url_name)


def is_app_path(path: object) -> bool:
    """A path on our own app ("/orders/12/"): no scheme, no other host ("//evil")."""
    return isinstance(path, str) and path.startswith("/") and not path.startswith("//")


# The page about an incident's object when its context names none (action_url): the order
# or listing found by its id/SKU (`?q=`), the accounts, the plans.
FALLBACK_PAGES: dict[str, tuple[str, str]] = {
    Category.ORDER_IMPORT_FAILED: ("orders:list", "order_id"),
    Category.FULFILLMENT_FAILED: ("orders:list", "order_id"),
    Category.LISTING_UPDATE_FAILED: ("listings:list", "sku"),
    Category.ACCOUNT_EXPIRED: ("accounts:list", ""),
    Category.PLAN_LIMIT: ("billing:plans", ""),
    Category.TEST: ("dashboard", ""),
}


def object_path(notification: Notification) -> str:
    """The app page of the object an incident is about (account, order, listing, plan)."""
    action_url = notification.context.get("action_url")
    if is_app_path(action_url):
        return str(action_url)
    url_name, field = FALLBACK_PAGES[notification.category]
    path = page_path(url_name)
    if field and notification.context.get(field):
        path += "?" + urlencode({"q": notification.context[field]})
    return path


def unsubscribe_signature(shop_id: int, category: str) -> str:
    return Signer(salt=UNSUBSCRIBE_SALT).signature(f"{shop_id}:{category}")


def unsubscribe_signature_valid(shop_id: int, category: str, signature: str) -> bool:
    return constant_time_compare(unsubscribe_signature(shop_id, category), signature)


def unsubscribe_url(shop: Shop, category: str) -> str:
    """Absolute and outside the admin: mail clients POST to it without a session (RFC 8058)."""
    path = reverse(
        "notifications:unsubscribe",
        kwargs={
            "shop_id": shop.pk,
            "category": category,
            "signature": unsubscribe_signature(shop.pk, category),
        },
    )
    return f"{settings.SHOPIFY_APP_URL}{path}"
