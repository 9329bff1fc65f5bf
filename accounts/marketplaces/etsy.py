"""Etsy Open API v3 over `requests`; OAuth 2 with PKCE and rotating refresh tokens."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils import timezone

from accounts.marketplaces.base import (
    EARLIEST_TIMESTAMP,
    AccessTokenRejected,
    Adapter,
    ConsentRequest,
    Grant,
    ListingResult,
    ListingUpdate,
    MarketplaceError,
    PermanentError,
    RemoteListing,
    RemoteOrder,
    Shipment,
    TransientError,
    UnreadableResponse,
    expires_in,
    from_epoch,
    http_failure,
    json_or_empty,
    post_token_form,
    reading,
)

# Etsy refresh tokens live 90 days and are replaced on every refresh (Etsy OAuth docs).
REFRESH_TOKEN_LIFETIME = timedelta(days=90)
RECEIPTS_PER_PAGE = 100
LISTINGS_PER_PAGE = 100
# updateListingInventory's body (https://developers.etsy.com/documentation/reference#operation/
# updateListingInventory): what a product and an offering carry back from getListingInventory.
PROPERTY_VALUE_FIELDS = ("property_id", "property_name", "scale_id", "value_ids", "values")
ON_PROPERTY_FIELDS = (
    "price_on_property",
    "quantity_on_property",
    "sku_on_property",
    "readiness_state_on_property",
)


class EtsyAdapter(Adapter):
    marketplace = "etsy"
    display_name = "Etsy"

    @classmethod
    def consent_url(cls, account: Any, consent: ConsentRequest) -> str:
        query = {
            "response_type": "code",
            "client_id": settings.ETSY_KEYSTRING,
            "redirect_uri": consent.redirect_uri,
            "scope": settings.ETSY_SCOPES,
            "state": consent.state,
            "code_challenge": consent.code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{settings.ETSY_CONNECT_URL}?{urlencode(query)}"

    def exchange_code(self, params: Mapping[str, str], consent: ConsentRequest) -> Grant:
        grant = self._grant(
            {
                "grant_type": "authorization_code",
                "client_id": settings.ETSY_KEYSTRING,
                "redirect_uri": consent.redirect_uri,
                "code": params.get("code", ""),
                "code_verifier": consent.code_verifier,
            }
        )
        me = self._api("GET", "/users/me", token=grant.access_token)
        return Grant(**{**grant.__dict__, "external_id": shop_id_of(me)})

    def refresh_credentials(self) -> Grant:
        # The answer carries a new refresh token and the old one is spent: the caller must
        # store both in the same transaction (accounts.credentials.refresh_account_credentials).
        return self._grant(
            {
                "grant_type": "refresh_token",
                "client_id": settings.ETSY_KEYSTRING,
                "refresh_token": self.account.refresh_token,
            }
        )

    def check_connection(self) -> None:
        self._api("GET", "/users/me")

    def fetch_orders(self, since: datetime) -> list[RemoteOrder]:
        found: list[RemoteOrder] = []
        while True:
            page = self._api(
                "GET",
                f"/shops/{self.account.external_id}/receipts",
                params={
                    "min_last_modified": max(int(since.timestamp()), EARLIEST_TIMESTAMP),
                    "limit": RECEIPTS_PER_PAGE,
                    "offset": len(found),
                },
            )
            results, count = receipts_page(page)
            found += results
            if not results or len(found) >= count:
                return found

    def push_fulfillment(self, shipment: Shipment) -> None:
        path = f"/shops/{self.account.external_id}/receipts/{shipment.order_id}/tracking"
        self._api(
            "POST",
            path,
            json={"tracking_code": shipment.tracking_number, "carrier_name": shipment.carrier},
        )

    def update_listing(self, update: ListingUpdate) -> None:
        # updateListingInventory replaces every product, so read, change ours, write back.
        if not update.listing_id.isdigit() or int(update.listing_id) < 1:
            raise PermanentError(f"Etsy listing id {update.listing_id!r} is not a listing id")
        path = f"/listings/{int(update.listing_id)}/inventory"
        inventory = self._api("GET", path)
        self._api("PUT", path, json=writable_inventory(inventory, update))

    def update_listings(self, updates: Sequence[ListingUpdate]) -> list[ListingResult]:
        # updateListingInventory replaces all of a listing's products: one read and one write
        # per listing carries every offering that changed in it
        # (https://developers.etsy.com/documentation/reference#operation/updateListingInventory).
        by_listing: dict[str, list[ListingUpdate]] = {}
        for update in updates:
            by_listing.setdefault(update.listing_id, []).append(update)
        results: list[ListingResult] = []
        for listing_id, group in by_listing.items():
            error = self._update_inventory(listing_id, group)
            results += [ListingResult(update, error) for update in group]
        return results

    def discover_listings(self, skus: Sequence[str]) -> list[RemoteListing]:
        # getListingsByShop with the Inventory association: products and offerings in the
        # same page (https://developers.etsy.com/documentation/reference#operation/getListingsByShop).
        found: list[RemoteListing] = []
        offset = 0
        while True:
            page = self._api(
                "GET",
                f"/shops/{self.account.external_id}/listings",
                params={
                    "state": "active",
                    "includes": "Inventory",
                    "limit": LISTINGS_PER_PAGE,
                    "offset": offset,
                },
            )
            listings = page.get("results") or []
            for listing in listings:
                found += _remote_listings(listing)
            offset += len(listings)
            if not listings or offset >= int(page.get("count") or 0):
                return found

    def _update_inventory(
        self, listing_id: str, group: list[ListingUpdate]
    ) -> MarketplaceError | None:
        if not listing_id.isdigit() or int(listing_id) < 1:
            return PermanentError(f"Etsy listing id {listing_id!r} is not a listing id")
        path = f"/listings/{int(listing_id)}/inventory"
        try:
            inventory = self._api("GET", path)
            for update in group:
                inventory = writable_inventory(inventory, update)
            self._api("PUT", path, json=inventory)
        except AccessTokenRejected:
            raise
        except MarketplaceError as exc:
            return exc
        return None

    def _grant(self, form: dict[str, str]) -> Grant:
        token = post_token_form("Etsy", settings.ETSY_TOKEN_URL, form)
        return Grant(
            access_token=token["access_token"],
            access_expires_at=expires_in(token.get("expires_in")),
            refresh_token=token["refresh_token"],
            reauthorize_by=timezone.now() + REFRESH_TOKEN_LIFETIME,
        )

    def _api(self, method: str, path: str, *, token: str = "", **kwargs: Any) -> dict[str, Any]:
        headers = {
            "x-api-key": f"{settings.ETSY_KEYSTRING}:{settings.ETSY_SHARED_SECRET}",
            "Authorization": f"Bearer {token or self.account.access_token}",
        }
        url = f"{settings.ETSY_API_ORIGIN}/v3/application{path}"
        try:
            response = requests.request(
                method, url, headers=headers, timeout=settings.MARKETPLACE_HTTP_TIMEOUT, **kwargs
            )
        except requests.RequestException as exc:
            raise TransientError(f"Etsy unreachable: {exc}") from exc
        body = json_or_empty(response)
        if response.status_code == 401:
            raise AccessTokenRejected(f"Etsy refused the access token ({body.get('error')})")
        if response.status_code >= 400:
            raise http_failure("Etsy", response.status_code, str(body.get("error", "")))
        return body


def writable_inventory(inventory: dict[str, Any], update: ListingUpdate) -> dict[str, Any]:
    """getListingInventory's answer as updateListingInventory's body, with our SKU changed.
    The PUT replaces the whole inventory, so everything writable the GET gave goes back."""
    with reading("Etsy"):
        body = {"products": [_writable_product(p, update) for p in inventory.get("products") or []]}
        for name in ON_PROPERTY_FIELDS:
            if inventory.get(name) is not None:
                body[name] = list(inventory[name])
    return body


def _writable_product(product: dict[str, Any], update: ListingUpdate) -> dict[str, Any]:
    mine = product.get("sku") == update.sku
    return {
        "sku": product.get("sku") or "",
        "property_values": [_writable_property(v) for v in product.get("property_values") or []],
        "offerings": [
            _writable_offering(o, update, mine=mine) for o in product.get("offerings") or []
        ],
    }


def _writable_property(value: dict[str, Any]) -> dict[str, Any]:
    # The GET may give property_name/scale_id null; the PUT wants a string or nothing.
    return {key: value[key] for key in PROPERTY_VALUE_FIELDS if value.get(key) is not None}


def _writable_offering(
    offering: dict[str, Any], update: ListingUpdate, *, mine: bool
) -> dict[str, Any]:
    price = update.price if mine else None
    return {
        "price": float(price) if price is not None else _price(offering["price"]),
        "quantity": update.quantity if mine else int(offering["quantity"]),
        "is_enabled": bool(offering.get("is_enabled", True)),
        # Required in the PUT (null allowed): the processing profile the GET returned.
        "readiness_state_id": offering.get("readiness_state_id"),
    }


def _price(price: Any) -> float:
    """Etsy's Money is amount / divisor; a divisor of 0 (the spec allows it) says nothing."""
    if not isinstance(price, dict):
        return float(price)
    if not price["divisor"]:
        raise UnreadableResponse(f"Etsy gave a price with divisor 0: {price!r}")
    return float(price["amount"] / price["divisor"])


def shop_id_of(me: dict[str, Any]) -> str:
    """getMe's `shop_id` (null for a user without a shop: no shop to connect)."""
    with reading("Etsy"):
        shop_id = me["shop_id"]
    if not isinstance(shop_id, int) or shop_id < 1:
        raise PermanentError("This Etsy account has no shop; open one on Etsy, then connect.")
    return str(shop_id)


def receipts_page(page: dict[str, Any]) -> tuple[list[RemoteOrder], int]:
    """getShopReceipts' answer: the page's receipts and the total count."""
    with reading("Etsy"):
        return [_remote_order(r) for r in page.get("results") or []], int(page.get("count") or 0)


def _remote_order(receipt: dict[str, Any]) -> RemoteOrder:
    return RemoteOrder(
        order_id=str(receipt["receipt_id"]),
        status=str(receipt.get("status", "")),
        updated_at=from_epoch(receipt.get("updated_timestamp") or 0),
        raw=receipt,
    )


def _money(price: Any) -> Decimal | None:
    if isinstance(price, dict) and price.get("divisor"):
        return Decimal(price["amount"]) / Decimal(price["divisor"])
    return None


def _remote_listings(listing: dict[str, Any]) -> list[RemoteListing]:
    """One listing per product (variation) of an Etsy listing, keyed by the product id."""
    listing_id, title = str(listing["listing_id"]), str(listing.get("title", ""))
    found = []
    for product in (listing.get("inventory") or {}).get("products", []):
        if product.get("is_deleted"):
            continue
        offering: dict[str, Any] = next(iter(product.get("offerings") or []), {})
        found.append(
            RemoteListing(
                remote_key=f"{listing_id}:{product.get('product_id')}",
                sku=str(product.get("sku") or ""),
                item_id=listing_id,
                title=title,
                quantity=offering.get("quantity"),
                price=_money(offering.get("price")),
                product_id=str(product.get("product_id") or ""),
                offering_id=str(offering.get("offering_id") or ""),
            )
        )
    return found
