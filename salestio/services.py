"""Writes to the tenant: install, tokens, Shopify webhooks' effects."""

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from salestio import outbox, shopify_api
from salestio.db import Read, build, drop_read_along, first_raw, read_along
from salestio.graphql_documents import SHOP_DETAILS_QUERY
from salestio.models import Shop
from salestio.shopify_auth import SessionToken
from salestio.signals import customer_redact_requested, shop_reinstalled, shop_uninstalled

log = logging.getLogger(__name__)


def _store_token(shop: Shop, token: shopify_api.OfflineToken) -> None:
    shop.access_token = token.access_token
    shop.access_token_expires_at = token.access_expires_at
    shop.refresh_token = token.refresh_token
    shop.refresh_token_expires_at = token.refresh_expires_at
    shop.scopes = token.scope or shop.scopes
    shop.uninstalled_at = None


# Every page's first read, written out as the dashboard's (docs/architecture.md).
SHOP_BY_DOMAIN_SQL = (
    f"SELECT {', '.join(str(field.column) for field in Shop._meta.concrete_fields)} "
    f"FROM {Shop._meta.db_table} WHERE domain = %s"
)
SHOP_BY_DOMAIN_AND_ID_SQL = f"{SHOP_BY_DOMAIN_SQL} AND id = %s"

# What a page reads besides its shop (a view's page_reads): Reads made from the shop's id.
PageReads = Callable[[Shop], Sequence[Read[Any, Any]]]

# The ids of the shops this process has read, by domain: knowing it, a page's reads go in the
# round trip of its shop's read. A hint that read checks (domain and id); a wrong one costs the
# separate read, as a shop this process has not served yet does.
_KNOWN_IDS: dict[str, int] = {}
_KNOWN_IDS_MAX = 100_000


def shop_from_session(
    *, session: SessionToken, locale: str = "", page_reads: PageReads | None = None
) -> Shop:
    """The shop a verified session token names; first load exchanges it for an offline token.
    `page_reads`: what the page reads next (db.read_along), in the same round trip when it can."""
    shop = _shop_by_domain(session.shop, page_reads)
    if shop is None:
        # The admin's language is the starting point; after that the merchant's choice
        # (POST /locale) stands, so it is not overwritten on every load.
        language = locale[:2] if locale[:2] in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        shop = Shop.objects.get_or_create(domain=session.shop, defaults={"locale": language})[0]
    _remember(shop)
    if shop.has_usable_token():
        return shop
    drop_read_along()  # installing writes (accounts resumed): the page reads afresh
    return _install_once(session)


def _shop_by_domain(domain: str, page_reads: PageReads | None) -> Shop | None:
    known = _KNOWN_IDS.get(domain)
    shop = None
    if known is not None and page_reads is not None:
        # The page's reads are made from the id alone; the view makes them again from the
        # shop read here, and takes the answers only if they come out the same.
        along = page_reads(build(Shop, id=known, domain=domain))
        shop = read_along(Read(Shop, SHOP_BY_DOMAIN_AND_ID_SQL, [domain, known], _first), along)
    return shop or first_raw(Shop, SHOP_BY_DOMAIN_SQL, [domain])


def _remember(shop: Shop) -> None:
    if _KNOWN_IDS.get(shop.domain) != shop.pk:
        if len(_KNOWN_IDS) >= _KNOWN_IDS_MAX:
            _KNOWN_IDS.clear()
        _KNOWN_IDS[shop.domain] = shop.pk


def _first(shops: list[Shop]) -> Shop | None:
    return shops[0] if shops else None


@transaction.atomic
def _install_once(session: SessionToken) -> Shop:
    """Exchange the session token unless a concurrent first load already did.

    The shop row (a placeholder until installed) is locked before the exchange: concurrent
    loads of a new shop queue on it, and each one after the first finds the token the first
    one stored, so Shopify sees one exchange. On SQLite the IMMEDIATE transaction is the lock.
    """
    shop = Shop.objects.select_for_update().get(domain=session.shop)
    if shop.has_usable_token():
        return shop
    token = shopify_api.exchange_session_token(session.shop, session.raw)
    return install_shop(shop_domain=session.shop, token=token)


@transaction.atomic
def install_shop(*, shop_domain: str, token: shopify_api.OfflineToken) -> Shop:
    shop = Shop.objects.select_for_update().get_or_create(domain=shop_domain)[0]
    was_new = not shop.access_token
    was_uninstalled = not shop.is_installed
    _store_token(shop, token)
    if was_new:
        shop.installed_at = timezone.now()
    shop.save()
    log.info("shop installed, offline token expires %s", shop.access_token_expires_at)
    _enqueue_shop_details(shop.pk)
    if was_uninstalled:
        transaction.on_commit(lambda: shop_reinstalled.send(sender=Shop, shop=shop))
    return shop


def _enqueue_shop_details(shop_id: int) -> None:
    from salestio.tasks import sync_shop_details

    outbox.enqueue(sync_shop_details, shop_id)


def refresh_shop_token(*, shop_id: int, force: bool = False) -> Shop:
    """Refresh the expiring offline token; the rotated pair is saved in one transaction.

    The row lock serialises concurrent refreshes: the second one sees a fresh token and
    returns, instead of spending the refresh token the first one already rotated.
    """
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop_id)
        margin_from_now = timezone.now() + settings.SHOPIFY_TOKEN_REFRESH_MARGIN
        if not shop.refresh_token or (not force and shop.has_usable_token(at=margin_from_now)):
            return shop
        try:
            token = shopify_api.refresh_offline_token(shop.domain, shop.refresh_token)
        except shopify_api.ShopifyAuthError:
            # A dead refresh token never comes back: drop it, so the sweep stops retrying it
            # and the merchant's next visit exchanges a session token for a new pair.
            _forget_tokens(shop)
            refused = True
        else:
            _store_token(shop, token)
            shop.save()
            refused = False
    if refused:
        log.warning("Shopify refused the refresh token; waiting for the next app visit")
        raise shopify_api.ShopifyAuthError("refresh token refused")
    log.info("offline token refreshed, expires %s", shop.access_token_expires_at)
    return shop


def _forget_tokens(shop: Shop) -> None:
    shop.access_token = ""
    shop.refresh_token = ""
    shop.access_token_expires_at = None
    shop.save(update_fields=["access_token", "refresh_token", "access_token_expires_at"])


def admin_client(shop: Shop) -> shopify_api.AdminGraphQL:
    """A GraphQL client with a live token, refreshing on demand when it is about to expire."""
    if not shop.has_usable_token(at=timezone.now() + settings.SHOPIFY_TOKEN_REFRESH_MARGIN):
        shop = refresh_shop_token(shop_id=shop.pk)
    return shopify_api.AdminGraphQL(shop.domain, shop.access_token)


def sync_shop_details(*, shop: Shop) -> None:
    data = admin_client(shop).execute(SHOP_DETAILS_QUERY)["shop"]
    update_shop_details(
        shop=shop,
        payload={
            "name": data["name"],
            "email": data["email"],
            "currency": data["currencyCode"],
            "iana_timezone": data["ianaTimezone"],
        },
    )


def update_shop_details(*, shop: Shop, payload: dict[str, Any]) -> None:
    """From shop/update webhooks (REST payload) and from the ShopDetails query."""
    shop.name = payload.get("name") or shop.name
    shop.owner_email = payload.get("email") or shop.owner_email
    shop.currency = payload.get("currency") or shop.currency
    shop.iana_timezone = payload.get("iana_timezone") or shop.iana_timezone
    shop.save(update_fields=["name", "owner_email", "currency", "iana_timezone"])


def set_shop_locale(*, shop: Shop, locale: str) -> None:
    shop.locale = locale
    shop.save(update_fields=["locale"])


def uninstall_shop(*, shop: Shop) -> None:
    """app/uninstalled: the tokens are dead; every job of the shop stops."""
    shop.uninstalled_at = timezone.now()
    shop.save(update_fields=["uninstalled_at"])
    _forget_tokens(shop)
    shop_uninstalled.send(sender=Shop, shop=shop)
    log.info("shop uninstalled; jobs stopped")


def redact_customer(*, shop: Shop, payload: dict[str, Any]) -> None:
    customer_redact_requested.send(sender=Shop, shop=shop, customer=payload.get("customer", {}))


def report_customer_data(*, shop: Shop, payload: dict[str, Any]) -> None:
    """customers/data_request: Salestio keeps a customer's data only inside imported orders;
    the request is logged so support can send the export to the merchant."""
    orders = payload.get("orders_requested", [])
    log.info(
        "customer data request for customer %s, orders %s",
        (payload.get("customer") or {}).get("id"),
        orders,
    )


def redact_shop(*, shop: Shop) -> None:
    """shop/redact: every row of the shop goes (all models cascade from Shop)."""
    domain = shop.domain
    shop.delete()
    log.info("shop data deleted for %s", domain)
