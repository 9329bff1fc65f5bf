"""Amazon SP-API through python-amazon-sp-api: LWA, Orders v0, Tokens 2021-03-01, Listings
Items 2021-08-01."""

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx
from django.conf import settings
from django.utils import timezone
from sp_api.api import ListingsItemsV20210801, OrdersV0, Tokens
from sp_api.auth import AccessTokenClient
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Client, Marketplaces, SellingApiException
from sp_api.base.credential_provider import CredentialProvider

from accounts.marketplaces.base import (
    Adapter,
    ConnectionExpired,
    ConsentRequest,
    Grant,
    ListingUpdate,
    PermanentError,
    RemoteListing,
    RemoteOrder,
    Shipment,
    TransientError,
    UnreadableResponse,
    expires_in,
    from_iso,
    http_failure,
    oauth_failure,
    reading,
    rfc3339,
)

T = TypeVar("T")
ClientT = TypeVar("ClientT", bound=Client)
# Sellers must re-authorize an SP-API application every 365 days (Amazon's authorization docs).
REAUTHORIZATION_PERIOD = timedelta(days=365)
# sp_api's Marketplaces carry the AWS region; SP-API endpoints and Seller Central go by these.
REGION_OF_AWS_REGION = {"us-east-1": "NA", "eu-west-1": "EU", "us-west-2": "FE"}
# getOrders pages: at most 100 orders each (MaxResultsPerPage 1-100), and a bound on the pages
# one fetch follows, so a server that keeps handing out NextTokens cannot hold a worker forever.
ORDERS_PER_PAGE = 100
MAX_ORDER_PAGES = 100
# getOrders hands out the buyer's name and email and the full shipping address only to a call
# made with a Restricted Data Token for these data elements
# (https://developer-docs.amazon.com/sp-api/docs/tokens-api-v2021-03-01-reference,
# https://developer-docs.amazon.com/sp-api/docs/tokens-api-use-case-guide).
ORDERS_PII = {
    "method": "GET",
    "path": "/orders/v0/orders",
    "dataElements": ["buyerInfo", "shippingAddress"],
}


def region_of(site: str) -> str:
    return REGION_OF_AWS_REGION[Marketplaces[site].region]


class LwaClient(AccessTokenClient):
    """The LWA token URL comes from settings: sp_api hard-codes api.amazon.com in
    AccessTokenClient.host and has no setting for it
    (https://github.com/saleweaver/python-amazon-sp-api/blob/master/sp_api/auth/access_token_client.py)."""

    @property
    def scheme(self) -> str:
        return f"{urlsplit(settings.AMAZON_LWA_TOKEN_URL).scheme}://"

    @property
    def host(self) -> str:
        return urlsplit(settings.AMAZON_LWA_TOKEN_URL).netloc

    @property
    def path(self) -> str:
        return urlsplit(settings.AMAZON_LWA_TOKEN_URL).path


def _sp_api_failure(exc: SellingApiException, *, probe: bool) -> Exception:
    code = getattr(exc, "amzn_code", "") or ""
    message = getattr(exc, "message", "") or str(exc.error)
    if exc.code == 403 and code == "Unauthorized":
        # Amazon answers this for a revoked authorization and equally for a seller who lacks
        # the role one API needs. Only the probe (Orders, which every seller of ours must
        # allow) may conclude the whole connection is dead; elsewhere it is that API's refusal.
        if probe:
            return ConnectionExpired(f"Amazon refused access (403 Unauthorized): {message}")
        return PermanentError(
            f"Amazon refused access to this API (403 Unauthorized): {message} "
            "Check the roles the seller granted Salestio in Seller Central."
        )
    return http_failure("Amazon", exc.code, f"{code} {message}".strip())


def _call(operation: Callable[[], T], *, probe: bool = False) -> T:
    try:
        return operation()
    except AuthorizationError as exc:
        raise oauth_failure(
            "Amazon", exc.status_code, exc.error_code or "", exc.message or ""
        ) from exc
    except SellingApiException as exc:
        raise _sp_api_failure(exc, probe=probe) from exc
    except httpx.TransportError as exc:
        raise TransientError(f"Amazon unreachable: {exc!r}") from exc
    except ValueError as exc:  # a token endpoint answering something other than JSON
        raise TransientError(f"Amazon answered an unreadable response: {exc}") from exc
    except (TypeError, AttributeError, IndexError) as exc:
        # sp_api's parse_response does ApiResponse(**body, headers=…) on whatever JSON came
        # back: a body that is no object, an empty list, or one with a "headers" key ends here.
        raise UnreadableResponse(f"Amazon answered data we cannot read: {exc!r}") from exc


class AmazonAdapter(Adapter):
    marketplace = "amazon"
    display_name = "Amazon"

    @classmethod
    def consent_url(cls, account: Any, consent: ConsentRequest) -> str:
        query = {
            "application_id": settings.AMAZON_APP_ID,
            "state": consent.state,
            "redirect_uri": consent.redirect_uri,
        }
        if settings.AMAZON_DRAFT_APP:
            query["version"] = "beta"
        region = region_of(consent.site or account.site)
        seller_central = settings.AMAZON_SELLER_CENTRAL_URLS[region]
        return f"{seller_central}/apps/authorize/consent?{urlencode(query)}"

    def exchange_code(self, params: Mapping[str, str], consent: ConsentRequest) -> Grant:
        lwa = LwaClient(credentials=self._credentials(refresh_token=""))
        token = _call(lambda: lwa.authorize_auth_code(params.get("spapi_oauth_code", "")))
        return Grant(
            access_token=token["access_token"],
            access_expires_at=expires_in(token.get("expires_in")),
            refresh_token=token["refresh_token"],
            reauthorize_by=timezone.now() + REAUTHORIZATION_PERIOD,
            external_id=params.get("selling_partner_id", ""),
        )

    def refresh_credentials(self) -> Grant:
        lwa = LwaClient(refresh_token=self.account.refresh_token, credentials=self._credentials())
        token = _call(lwa.get_auth)
        return Grant(
            access_token=token.access_token, access_expires_at=expires_in(token.expires_in)
        )

    def refresh_due_at(self) -> datetime | None:
        # sp_api exchanges the refresh token itself and caches the access token (~3200 s).
        return None

    def check_connection(self) -> None:
        since = (timezone.now() - timedelta(days=1)).isoformat()
        orders = self._client(OrdersV0)
        _call(lambda: orders.get_orders(CreatedAfter=since, MaxResultsPerPage=1), probe=True)

    def fetch_orders(self, since: datetime) -> list[RemoteOrder]:
        orders = self._client(OrdersV0, restricted_data_token=self._restricted_data_token())
        found: list[RemoteOrder] = []
        seen_tokens: set[str] = set()
        query: dict[str, Any] = {
            "LastUpdatedAfter": rfc3339(since),
            "MaxResultsPerPage": ORDERS_PER_PAGE,
        }
        for _ in range(MAX_ORDER_PAGES):
            payload = _call(lambda q=query: orders.get_orders(**q)).payload or {}  # type: ignore[misc]
            found += remote_orders(payload)
            token = next_token(payload, seen_tokens)
            if not token:
                return found
            query = {"NextToken": token}
        raise TransientError(
            f"Amazon listed more than {MAX_ORDER_PAGES * ORDERS_PER_PAGE} changed orders in "
            "one fetch; the next run continues from the same point."
        )

    def _restricted_data_token(self) -> str:
        """One RDT for every getOrders page of a fetch (it lives an hour). Asked for through
        the Tokens API rather than sp_api's RestrictedResources keyword, which fetches a token
        per page and sends the getOrders parameters along in the token request's body."""
        tokens = self._client(Tokens)
        answer = _call(
            lambda: tokens.create_restricted_data_token(restrictedResources=[ORDERS_PII])
        )
        with reading("Amazon"):
            return str(answer.payload["restrictedDataToken"])

    def fetch_order_items(self, order_id: str) -> list[dict[str, Any]]:
        """getOrderItems, every page (ordersV0.json OrderItemsList). Order import needs the
        SKUs, quantities and prices the order list leaves out. A 403 here is this order's
        refusal, never the connection's (probe=False)."""
        orders = self._client(OrdersV0)
        items: list[dict[str, Any]] = []
        token = ""
        for _ in range(MAX_ORDER_PAGES):
            query = {"NextToken": token} if token else {}
            payload = _call(lambda q=query: orders.get_order_items(order_id, **q)).payload or {}  # type: ignore[misc]
            with reading("Amazon"):
                items += list(payload.get("OrderItems") or [])
                token = str(payload.get("NextToken") or "")
            if not token:
                return items
        raise TransientError(f"Amazon kept paging the items of order {order_id}.")

    def push_fulfillment(self, shipment: Shipment) -> None:
        orders = self._client(OrdersV0)
        package = {
            "packageReferenceId": shipment.package_id or package_reference(shipment),
            "carrierCode": shipment.carrier,
            "trackingNumber": shipment.tracking_number,
            "shipDate": rfc3339(shipment.shipped_at),
            "orderItems": [
                {"orderItemId": line.line_id, "quantity": line.quantity} for line in shipment.lines
            ],
        }
        _call(
            lambda: orders.confirm_shipment(
                shipment.order_id,
                marketplaceId=Marketplaces[self.account.site].marketplace_id,
                packageDetail=package,
            )
        )

    def update_listing(self, update: ListingUpdate) -> None:
        if not self.account.external_id:
            raise PermanentError("Amazon account has no seller id; reconnect it")
        listings = self._client(ListingsItemsV20210801)
        marketplace_id = Marketplaces[self.account.site].marketplace_id
        body = {
            "productType": update.product_type,
            "patches": listing_patches(update, marketplace_id),
        }
        response = _call(
            lambda: listings.patch_listings_item(
                self.account.external_id, update.sku, marketplaceIds=[marketplace_id], body=body
            )
        )
        raise_for_submission(response.payload)

    def discover_listings(self, skus: Sequence[str]) -> list[RemoteListing]:
        # Listings Items has no "list all": getListingsItem for each of the shop's SKUs
        # (https://developer-docs.amazon.com/sp-api/docs/listings-items-api-v2021-08-01-reference).
        listings = self._client(ListingsItemsV20210801)
        marketplace_id = Marketplaces[self.account.site].marketplace_id
        found = []
        for sku in skus:
            try:
                item = _call(
                    lambda sku=sku: listings.get_listings_item(  # type: ignore[misc]
                        self.account.external_id,
                        sku,
                        marketplaceIds=marketplace_id,
                        includedData="summaries,offers,fulfillmentAvailability",
                    )
                ).payload
            except PermanentError:
                continue  # 404: the seller has no listing with this SKU
            with reading("Amazon"):
                found.append(_remote_listing(sku, item or {}))
        return found

    def _credential_dict(self, refresh_token: str | None = None) -> dict[str, str]:
        token = self.account.refresh_token if refresh_token is None else refresh_token
        return {
            "refresh_token": token,
            "lwa_app_id": settings.AMAZON_LWA_CLIENT_ID,
            "lwa_client_secret": settings.AMAZON_LWA_CLIENT_SECRET,
        }

    def _credentials(self, refresh_token: str | None = None) -> Any:
        return CredentialProvider(credentials=self._credential_dict(refresh_token)).credentials

    def _client(self, api: type[ClientT], restricted_data_token: str | None = None) -> ClientT:
        client = api(
            marketplace=Marketplaces[self.account.site],
            restricted_data_token=restricted_data_token,
            refresh_token=self.account.refresh_token,
            credentials=self._credential_dict(),
            auth_token_client_class=LwaClient,
            timeout=settings.MARKETPLACE_HTTP_TIMEOUT,
        )
        # sp_api has no endpoint setting; `endpoint` is the documented attribute to set.
        client.endpoint = settings.AMAZON_SP_API_ENDPOINTS[region_of(self.account.site)]
        return client


def remote_orders(payload: Any) -> list[RemoteOrder]:
    """getOrders' `payload.Orders` (ordersV0.json OrdersList) as RemoteOrders."""
    with reading("Amazon"):
        return [_remote_order(order) for order in payload.get("Orders") or []]


def next_token(payload: Any, seen: set[str]) -> str:
    """The page's NextToken, refusing one already followed: Amazon hands out a new token per
    page, so a repeated one would only fetch the same pages again."""
    with reading("Amazon"):
        token = str(payload.get("NextToken") or "")
    if token in seen:
        raise TransientError("Amazon repeated a NextToken while listing orders.")
    seen.add(token)
    return token


def _remote_order(order: dict[str, Any]) -> RemoteOrder:
    return RemoteOrder(
        order_id=str(order["AmazonOrderId"]),
        status=str(order.get("OrderStatus", "")),
        updated_at=from_iso(order["LastUpdateDate"]),
        raw=order,
    )


def _remote_listing(sku: str, item: dict[str, Any]) -> RemoteListing:
    summary: dict[str, Any] = next(iter(item.get("summaries") or []), {})
    availability: dict[str, Any] = next(iter(item.get("fulfillmentAvailability") or []), {})
    # The B2C offer's price is what Amazon holds now (ItemOfferByMarketplace, Money.amount a
    # decimal string), so a store price equal to it is not pushed again.
    offer: dict[str, Any] = next(
        (o for o in item.get("offers") or [] if o.get("offerType") == "B2C"), {}
    )
    return RemoteListing(
        remote_key=sku,
        sku=sku,
        title=str(summary.get("itemName") or ""),
        quantity=availability.get("quantity"),
        active="BUYABLE" in (summary.get("status") or []),
        asin=str(summary.get("asin") or ""),
        product_type=str(summary.get("productType") or ""),
        price=Decimal(str(offer["price"]["amount"])) if offer.get("price") else None,
    )


def package_reference(shipment: Shipment) -> str:
    """A positive number identifying the package within its order (ordersV0.json
    PackageReferenceId), stable for the same tracking number so a retried confirmation
    names the same package and a second parcel of the order gets its own."""
    digest = hashlib.sha256(f"{shipment.carrier}:{shipment.tracking_number}".encode()).digest()
    return str(int.from_bytes(digest[:6]) + 1)


def listing_patches(update: ListingUpdate, marketplace_id: str) -> list[dict[str, Any]]:
    """The quantity always; the price only when the update carries one (it changed).

    The offer's shape (marketplace_id, currency, audience, our_price.schedule.value_with_tax
    as a number) is the one Amazon's pricing tutorial patches
    (https://developer-docs.amazon.com/sp-api/docs/update-price-for-multiple-marketplace,
    https://developer-docs.amazon.com/sp-api/docs/manage-purchasable-offer). A `replace`
    sets the whole B2C offer of this marketplace, as that tutorial does.
    """
    availability = [{"fulfillment_channel_code": "DEFAULT", "quantity": update.quantity}]
    patches: list[dict[str, Any]] = [
        {"op": "replace", "path": "/attributes/fulfillment_availability", "value": availability}
    ]
    if update.price is None:
        return patches
    if not update.currency:
        raise PermanentError(f"No currency known for the price of {update.sku}.")
    offer = {
        "marketplace_id": marketplace_id,
        "currency": update.currency,
        "audience": "ALL",
        "our_price": [{"schedule": [{"value_with_tax": float(update.price)}]}],
    }
    return [*patches, {"op": "replace", "path": "/attributes/purchasable_offer", "value": [offer]}]


def raise_for_submission(submission: Any) -> None:
    """patchListingsItem answers 200 even when it refuses the change: the
    ListingsItemSubmissionResponse says INVALID and carries ERROR issues
    (https://developer-docs.amazon.com/sp-api/docs/listings-items-api-v2021-08-01-reference)."""
    with reading("Amazon"):
        status = str(submission.get("status", ""))
        errors = [
            f"{issue.get('code', '')}: {issue.get('message', '')}"
            for issue in submission.get("issues") or []
            if issue.get("severity") == "ERROR"
        ]
    if status == "INVALID" or errors:
        detail = "; ".join(errors) or "no issue given"
        raise PermanentError(f"Amazon did not accept the listing change ({status}): {detail}")
