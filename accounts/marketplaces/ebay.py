"""eBay through ebaysdk's Trading API, with the OAuth user token sent as `iaf_token`."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from ebaysdk.exception import ConnectionError as EbayConnectionError
from ebaysdk.trading import Connection

from accounts.marketplaces.base import (
    AccessTokenRejected,
    Adapter,
    ConnectionExpired,
    ConsentRequest,
    Grant,
    ListingResult,
    ListingUpdate,
    MarketplaceError,
    PermanentError,
    RemoteListing,
    RemoteOrder,
    Shipment,
    Throttled,
    TransientError,
    expires_in,
    from_iso,
    http_failure,
    post_token_form,
    reading,
    rfc3339,
)

# Trading API token errors: 931 invalid, 932 hard expired, 21916984 invalid IAF token,
# 21917053 expired IAF token (eBay Trading API error reference).
TOKEN_ERRORS = frozenset({931, 932, 21916984, 21917053})
USAGE_LIMIT_ERRORS = frozenset({518, 21919144})
INTERNAL_ERRORS = frozenset({10007})
ORDERS_PER_PAGE = 100
INVENTORY_STATUS_PER_CALL = 4
LISTINGS_PER_PAGE = 200


def _failure(api: Connection, exc: EbayConnectionError) -> MarketplaceError:
    """ebaysdk raises one ConnectionError for HTTP errors and Ack=Failure alike."""
    codes = set(api.response_codes())
    status = getattr(exc.response, "status_code", 200) if exc.response is not None else 0
    message = f"eBay {api.verb} failed: {exc}"
    if codes & TOKEN_ERRORS:
        return AccessTokenRejected(message)
    if codes & USAGE_LIMIT_ERRORS:
        return Throttled(message)
    if codes & INTERNAL_ERRORS:
        return TransientError(message)
    if status != 200:
        return http_failure("eBay", status, str(exc))
    return PermanentError(message)


class EbayAdapter(Adapter):
    marketplace = "ebay"
    display_name = "eBay"

    @classmethod
    def consent_url(cls, account: Any, consent: ConsentRequest) -> str:
        query = {
            "client_id": settings.EBAY_CLIENT_ID,
            "redirect_uri": settings.EBAY_RU_NAME,
            "response_type": "code",
            "scope": settings.EBAY_SCOPES,
            "state": consent.state,
        }
        return f"{settings.EBAY_AUTH_URL}?{urlencode(query)}"

    def exchange_code(self, params: Mapping[str, str], consent: ConsentRequest) -> Grant:
        token = self._token(
            {
                "grant_type": "authorization_code",
                "code": params.get("code", ""),
                "redirect_uri": settings.EBAY_RU_NAME,
            }
        )
        user = self._execute("GetUser", {}, iaf_token=token["access_token"]).reply.User
        return Grant(
            access_token=token["access_token"],
            access_expires_at=expires_in(token.get("expires_in")),
            refresh_token=token["refresh_token"],
            reauthorize_by=expires_in(token.get("refresh_token_expires_in")),
            external_id=str(user.UserID),
        )

    def refresh_credentials(self) -> Grant:
        # eBay's refresh keeps the refresh token (18 months from the login), only access rotates.
        token = self._token(
            {
                "grant_type": "refresh_token",
                "scope": settings.EBAY_SCOPES,
                "refresh_token": self.account.refresh_token,
            }
        )
        return Grant(
            access_token=token["access_token"],
            access_expires_at=expires_in(token.get("expires_in")),
        )

    def check_connection(self) -> None:
        status = token_status(self._execute("GetTokenStatus", {}).reply)
        if status != "Active":
            raise ConnectionExpired(f"eBay reports the token as {status}")

    def fetch_orders(self, since: datetime) -> list[RemoteOrder]:
        found: list[RemoteOrder] = []
        page = 1
        while True:
            reply = self._execute(
                "GetOrders",
                {
                    "ModTimeFrom": since.isoformat(),
                    "ModTimeTo": timezone.now().isoformat(),
                    "OrderRole": "Seller",
                    "Pagination": {"EntriesPerPage": ORDERS_PER_PAGE, "PageNumber": page},
                },
            ).dict()
            orders = (reply.get("OrderArray") or {}).get("Order", [])
            found += [_remote_order(order) for order in orders]
            if str(reply.get("HasMoreOrders")).lower() != "true":
                return found
            page += 1

    def push_fulfillment(self, shipment: Shipment) -> None:
        self._execute(
            "CompleteSale",
            {
                "OrderID": shipment.order_id,
                "Shipped": "true",
                # ShipmentType's order: the tracking details, then the time (eBay's sample).
                "Shipment": {
                    "ShipmentTrackingDetails": {
                        "ShipmentTrackingNumber": shipment.tracking_number,
                        "ShippingCarrierUsed": shipment.carrier,
                    },
                    "ShippedTime": rfc3339(shipment.shipped_at),
                },
            },
        )

    def update_listing(self, update: ListingUpdate) -> None:
        status: dict[str, Any] = {"Quantity": update.quantity}
        status.update({"ItemID": update.listing_id} if update.listing_id else {"SKU": update.sku})
        if update.price is not None:
            status["StartPrice"] = str(update.price)
        self._execute("ReviseInventoryStatus", {"InventoryStatus": [status]})

    def update_listings(self, updates: Sequence[ListingUpdate]) -> list[ListingResult]:
        # ReviseInventoryStatus takes at most four InventoryStatus containers per call
        # (https://developer.ebay.com/devzone/xml/docs/reference/ebay/ReviseInventoryStatus.html).
        results: list[ListingResult] = []
        for start in range(0, len(updates), INVENTORY_STATUS_PER_CALL):
            results += self._revise_inventory(updates[start : start + INVENTORY_STATUS_PER_CALL])
        return results

    def discover_listings(self, skus: Sequence[str]) -> list[RemoteListing]:
        # GetMyeBaySelling's ActiveList: the seller's active items, paginated
        # (https://developer.ebay.com/devzone/xml/docs/reference/ebay/GetMyeBaySelling.html).
        found: list[RemoteListing] = []
        page = 1
        while True:
            active = (
                self._execute(
                    "GetMyeBaySelling",
                    {
                        "ActiveList": {
                            "Include": "true",
                            "Pagination": {"EntriesPerPage": LISTINGS_PER_PAGE, "PageNumber": page},
                        },
                        "DetailLevel": "ReturnAll",
                    },
                )
                .dict()
                .get("ActiveList")
                or {}
            )
            for item in _as_list((active.get("ItemArray") or {}).get("Item")):
                found += _remote_listings(item)
            pages = int((active.get("PaginationResult") or {}).get("TotalNumberOfPages") or 1)
            if page >= pages:
                return found
            page += 1

    def _revise_inventory(self, chunk: Sequence[ListingUpdate]) -> list[ListingResult]:
        api = self._trading(self.account.access_token)
        statuses = [_inventory_status(update) for update in chunk]
        try:
            api.execute("ReviseInventoryStatus", {"InventoryStatus": statuses})
        except EbayConnectionError as exc:
            failure = _failure(api, exc)
            if isinstance(failure, ConnectionExpired):
                raise failure from exc
            return _item_results(chunk, api.response.dict(), failure)
        except requests.RequestException as exc:
            return [ListingResult(u, TransientError(f"eBay unreachable: {exc}")) for u in chunk]
        except AttributeError:
            status = getattr(api.response, "status_code", 0) or 500
            error = http_failure("eBay", status, "response without a Trading API body")
            return [ListingResult(update, error) for update in chunk]
        # Ack Warning: some items were refused, each error naming its ItemID or SKU.
        return _item_results(chunk, api.response.dict(), None)

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        auth = (settings.EBAY_CLIENT_ID, settings.EBAY_CLIENT_SECRET)
        return post_token_form("eBay", settings.EBAY_TOKEN_URL, form, auth=auth)

    def _trading(self, iaf_token: str) -> Connection:
        url = urlsplit(settings.EBAY_TRADING_URL)
        api = Connection(
            appid=settings.EBAY_CLIENT_ID,
            devid=settings.EBAY_DEV_ID,
            certid=settings.EBAY_CLIENT_SECRET,
            iaf_token=iaf_token,
            config_file=None,
            domain=url.netloc,
            uri=url.path,
            siteid=self.account.site or "0",
            timeout=settings.MARKETPLACE_HTTP_TIMEOUT,
        )
        if url.scheme == "http":
            # ebaysdk forces HTTPS; this documented override lets it reach the sandbox.
            api.config.set("https", False, force=True)
        return api

    def _execute(self, verb: str, data: dict[str, Any], *, iaf_token: str = "") -> Any:
        api = self._trading(iaf_token or self.account.access_token)
        try:
            return api.execute(verb, data)
        except EbayConnectionError as exc:
            raise _failure(api, exc) from exc
        except requests.RequestException as exc:
            raise TransientError(f"eBay unreachable: {exc}") from exc
        except AttributeError as exc:
            # ebaysdk reads reply.Ack before the HTTP status: a 5xx page without XML ends here.
            status = getattr(api.response, "status_code", 0) or 500
            raise http_failure("eBay", status, "response without a Trading API body") from exc


def token_status(reply: Any) -> str:
    """GetTokenStatus' TokenStatus.Status (TokenStatusCodeType: Active, Expired, RevokedByApp,
    RevokedByeBay, RevokedByUser)."""
    with reading("eBay"):
        return str(reply.TokenStatus.Status)


def _remote_order(order: dict[str, Any]) -> RemoteOrder:
    with reading("eBay"):
        modified = (order.get("CheckoutStatus") or {}).get("LastModifiedTime")
        return RemoteOrder(
            order_id=str(order["OrderID"]),
            status=str(order.get("OrderStatus", "")),
            updated_at=from_iso(str(modified or order["CreatedTime"])),
            raw=order,
        )


def _as_list(value: Any) -> list[Any]:
    """ebaysdk gives one repeated element as a dict and several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _inventory_status(update: ListingUpdate) -> dict[str, Any]:
    status: dict[str, Any] = {"Quantity": update.quantity}
    if update.listing_id:
        status["ItemID"] = update.listing_id
    if update.sku:
        status["SKU"] = update.sku
    if update.price is not None:
        status["StartPrice"] = str(update.price)
    return status


def _item_error(error: dict[str, Any]) -> MarketplaceError:
    code = int(error.get("ErrorCode") or 0)
    message = f"eBay ReviseInventoryStatus: {error.get('LongMessage') or error.get('ShortMessage')}"
    if code in USAGE_LIMIT_ERRORS:
        return Throttled(message)
    if code in INTERNAL_ERRORS:
        return TransientError(message)
    return PermanentError(f"{message} (error {code})")


def _item_results(
    chunk: Sequence[ListingUpdate], reply: dict[str, Any], failure: MarketplaceError | None
) -> list[ListingResult]:
    """Each update's outcome: an error naming its ItemID or SKU is its own; a failed call
    whose errors name no item refused the whole chunk."""
    by_key: dict[str, MarketplaceError] = {}
    for error in _as_list(reply.get("Errors")):
        if error.get("SeverityCode") != "Error":
            continue
        for parameter in _as_list(error.get("ErrorParameters")):
            by_key[str(parameter.get("Value"))] = _item_error(error)
    results = []
    for update in chunk:
        own = by_key.get(update.listing_id) or by_key.get(update.sku)
        results.append(ListingResult(update, own or (failure if not by_key else None)))
    return results


def _money(value: Any) -> Decimal | None:
    amount = value.get("value") if isinstance(value, dict) else value
    return Decimal(str(amount)) if amount not in (None, "") else None


def _remote_listings(item: dict[str, Any]) -> list[RemoteListing]:
    """One listing per item, or one per variation of a multi-variation item."""
    item_id, title = str(item.get("ItemID", "")), str(item.get("Title", ""))
    variations = _as_list((item.get("Variations") or {}).get("Variation"))
    if not variations:
        sku = str(item.get("SKU") or "")
        return [
            RemoteListing(
                remote_key=f"{item_id}:{sku}",
                sku=sku,
                item_id=item_id,
                title=title,
                quantity=int(item.get("QuantityAvailable") or item.get("Quantity") or 0),
                price=_money((item.get("SellingStatus") or {}).get("CurrentPrice")),
            )
        ]
    return [
        RemoteListing(
            remote_key=f"{item_id}:{variation.get('SKU') or ''}",
            sku=str(variation.get("SKU") or ""),
            item_id=item_id,
            title=title,
            quantity=int(variation.get("Quantity") or 0),
            price=_money(variation.get("StartPrice")),
        )
        for variation in variations
    ]
