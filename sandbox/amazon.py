"""Login with Amazon + SP-API (Orders v0, Tokens 2021-03-01, Listings Items 2021-08-01), as Amazon
documents them.

Requests are validated against Amazon's own Swagger files in sandbox/specs/amazon
(sandbox.spec_validation: a violation is a 400 `InvalidInput` with the validator's message).
Wire formats: LWA token errors are RFC 6749 JSON (`invalid_grant`); SP-API errors are
`{"errors": [{"code", "message", "details"}]}` (ordersV0.json ErrorList). Amazon's own docs
name the 403 `Unauthorized` answer for a revoked authorization
(https://developer-docs.amazon.com/sp-api/docs/response-format). python-amazon-sp-api derives
the Host header by cutting eight characters ("https://") off the endpoint (sp_api/base/client.py),
which is wrong for an http:// endpoint, so nothing here looks at Host.

Buyer data: getOrders answers the buyer's BuyerInfo and the full ShippingAddress only to a call
whose x-amz-access-token is a Restricted Data Token from createRestrictedDataToken naming
GET /orders/v0/orders and those dataElements; any other call gets the order without BuyerInfo
and an address cut to city, region, postal code and country
(https://developer-docs.amazon.com/sp-api/docs/tokens-api-use-case-guide).
"""

import base64
import secrets
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.marketplace_oauth import (
    Fault,
    MarketplaceSimulator,
    OAuthBook,
    invalid_grant,
    json_response,
    with_query,
)
from sandbox.spec_validation import swagger_violation
from sandbox.specs import AMAZON_LISTINGS, AMAZON_ORDERS, AMAZON_TOKENS

# The sandbox's registered application; demo.wiring.sandbox_settings points the app at it.
APP_ID = "amzn1.sp.solution.sandbox"
CLIENT_ID = "amzn1.application-oa2-client.sandbox"
CLIENT_SECRET = "sandbox-lwa-secret"
ACCESS_LIFETIME = 3600
# Sellers re-authorize every 365 days; the refresh token stops working then.
AUTHORIZATION_LIFETIME = 365 * 86400
UNAUTHORIZED = {
    "code": "Unauthorized",
    "message": "Access to requested resource is denied.",
    "details": "",
}
# The restricted operations this sandbox serves, and the data elements each can hand out.
RESTRICTED_OPERATIONS = {("GET", "/orders/v0/orders"): {"buyerInfo", "shippingAddress"}}
# What getOrders keeps of a ShippingAddress without an RDT for shippingAddress.
ADDRESS_WITHOUT_PII = ("City", "StateOrRegion", "PostalCode", "CountryCode")
RDT_LIFETIME = 3600
ERROR_CODES = {
    400: "InvalidInput",
    403: "Unauthorized",
    404: "NotFound",
    429: "QuotaExceeded",
    500: "InternalFailure",
    503: "ServiceUnavailable",
}


def _request_id() -> dict[str, str]:
    return {"x-amzn-RequestId": secrets.token_hex(8)}


def _json(body: Any, status: int = 200) -> Response:
    return json_response(body, status, _request_id())


def sp_error(status: int, message: str, code: str = "") -> Response:
    error = {
        "code": code or ERROR_CODES.get(status, "InternalFailure"),
        "message": message,
        "details": "",
    }
    return _json({"errors": [error]}, status)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_page_token(start: int) -> str:
    """An opaque NextToken (Amazon's are base64 too); it names where the next page starts."""
    return base64.urlsafe_b64encode(f"orders:{start}".encode()).decode()


def page_start(token: str) -> int | None:
    """Where the page of a NextToken starts; None for a token this sandbox did not issue."""
    if not token:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(token.encode()).decode()
    except ValueError:
        return None
    start = decoded.removeprefix("orders:")
    return int(start) if decoded.startswith("orders:") and start.isdigit() else None


@dataclass(frozen=True)
class RestrictedDataToken:
    seller: str
    expires_at: float
    # (method, path) → the data elements granted for it
    resources: dict[tuple[str, str], frozenset[str]]


def as_served(order: dict[str, Any], granted: frozenset[str]) -> dict[str, Any]:
    """The order as getOrders shows it to a caller granted these data elements."""
    served = {k: v for k, v in order.items() if not k.startswith("_")}
    if "buyerInfo" not in granted:
        served.pop("BuyerInfo", None)
    if "shippingAddress" not in granted and "ShippingAddress" in served:
        address = served["ShippingAddress"]
        served["ShippingAddress"] = {k: address[k] for k in ADDRESS_WITHOUT_PII if k in address}
    return served


class AmazonSimulator(MarketplaceSimulator):
    prefix = "/amazon"
    marketplace = "Amazon"
    default_user = "A2SANDBOXSELLER"

    def rules(self) -> list[Rule]:
        return [
            Rule("/apps/authorize/consent", endpoint="consent", methods=["GET", "POST"]),
            Rule("/auth/o2/token", endpoint="token", methods=["POST"]),
            Rule("/orders/v0/orders", endpoint="get_orders", methods=["GET"]),
            Rule(
                "/tokens/2021-03-01/restrictedDataToken",
                endpoint="create_restricted_data_token",
                methods=["POST"],
            ),
            Rule(
                "/orders/v0/orders/<order_id>/orderItems",
                endpoint="get_order_items",
                methods=["GET"],
            ),
            Rule(
                "/orders/v0/orders/<order_id>/shipmentConfirmation",
                endpoint="confirm_shipment",
                methods=["POST"],
            ),
            Rule(
                "/listings/2021-08-01/items/<seller_id>/<sku>",
                endpoint="patch_listing",
                methods=["PATCH"],
            ),
            Rule(
                "/listings/2021-08-01/items/<seller_id>/<sku>",
                endpoint="get_listing",
                methods=["GET"],
            ),
        ]

    def reset(self) -> None:
        super().reset()
        self.orders: dict[str, list[dict[str, Any]]] = {}
        self.shipments: list[dict[str, Any]] = []
        self.listing_patches: list[dict[str, Any]] = []
        # Listing sync (issue 11): the sellers' listings by SKU.
        self.listings: dict[str, dict[str, dict[str, Any]]] = {}
        self.restricted_tokens: dict[str, RestrictedDataToken] = {}
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET

    def new_book(self) -> OAuthBook:
        return OAuthBook(access_lifetime=ACCESS_LIFETIME, refresh_lifetime=AUTHORIZATION_LIFETIME)

    def spec_violation(self, request: Request) -> str | None:
        return swagger_violation((AMAZON_ORDERS, AMAZON_TOKENS, AMAZON_LISTINGS), request)

    def invalid_request(self, message: str) -> Response:
        return sp_error(400, message, "InvalidInput")

    def fault_response(self, fault: Fault) -> Response:
        if fault.path.startswith("/auth"):
            return _json(fault.body or {"error": "server_error"}, fault.status)
        if fault.body is not None:
            return _json(fault.body, fault.status)
        return sp_error(fault.status, "Injected failure.")

    def add_order(
        self,
        seller: str,
        order_id: str,
        *,
        status: str = "Unshipped",
        items: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        now = time.time()
        order = {
            "AmazonOrderId": order_id,
            "PurchaseDate": iso(now),
            "LastUpdateDate": iso(now),
            "OrderStatus": status,
            "MarketplaceId": "A1PA6795UKMFR9",
            "OrderTotal": {"CurrencyCode": "EUR", "Amount": "19.99"},
            "BuyerInfo": {
                "BuyerEmail": f"{order_id}@marketplace.amazon.de",
                "BuyerName": "Erika Mustermann",
            },
            "ShippingAddress": {
                "Name": "Erika Mustermann",
                "AddressLine1": "Hauptstr. 1",
                "City": "Berlin",
                "PostalCode": "10115",
                "CountryCode": "DE",
            },
            "_items": items
            or [
                {
                    "ASIN": "B00SANDBOX1",
                    "OrderItemId": f"{order_id}-1",
                    "SellerSKU": "SKU-1",
                    "QuantityOrdered": 1,
                }
            ],
        }
        self.orders.setdefault(seller, []).append(order)
        return order

    # --- Login with Amazon ----------------------------------------------------------------

    def on_consent(self, request: Request) -> Response:
        args = request.args
        if not args.get("application_id") or not args.get("state"):
            return Response("application_id and state are required", status=400)

        def approve(user: str) -> str:
            code = self.book.issue_code(user, redirect_uri=args.get("redirect_uri", ""))
            return with_query(
                args.get("redirect_uri", ""),
                state=args["state"],
                selling_partner_id=user,
                spapi_oauth_code=code,
            )

        return self.consent_page(request, approve)

    def on_token(self, request: Request) -> Response:
        form = request.form
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return _json(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                401,
            )
        if form.get("grant_type") == "authorization_code":
            # LWA's code exchange does not repeat redirect_uri; the code was bound at consent.
            user = self.book.redeem_code(form.get("code", ""), redirect_uri=None)
            if user is None:
                return invalid_grant("The authorization code is invalid or expired.", _request_id())
            tokens = self.book.issue(user, prefix="Atzr|", access_prefix="Atza|")
            return _json(
                {
                    "access_token": tokens["access_token"],
                    "refresh_token": tokens["refresh_token"],
                    "token_type": "bearer",
                    "expires_in": ACCESS_LIFETIME,
                }
            )
        if form.get("grant_type") == "refresh_token":
            fresh = self.book.use_refresh(form.get("refresh_token", ""), prefix="Atza|")
            if fresh is None:
                return invalid_grant(
                    "The request has an invalid grant parameter : refresh_token", _request_id()
                )
            return _json(
                {
                    "access_token": fresh["access_token"],
                    "token_type": "bearer",
                    "expires_in": ACCESS_LIFETIME,
                }
            )
        return _json({"error": "unsupported_grant_type", "error_description": "grant_type"}, 400)

    # --- SP-API ---------------------------------------------------------------------------

    def _seller(self, request: Request) -> str | Response:
        token = request.headers.get("x-amz-access-token", "")
        restricted = self.restricted_tokens.get(token)
        if restricted is not None:
            seller: str | None = self._restricted_seller(restricted, request)
        else:
            seller = self.book.user_of(token)
        scope = self.denied.get(seller or "", False)
        refused = scope is True or (isinstance(scope, str) and request.path.startswith(scope))
        if seller is None or refused:
            # Amazon gives the same 403 for a revoked authorization and a missing role.
            return sp_error(403, UNAUTHORIZED["message"], "Unauthorized")
        return self.refusal(request) or seller

    @staticmethod
    def _restricted_seller(token: RestrictedDataToken, request: Request) -> str | None:
        """An RDT stands for its seller only at the operations it was issued for."""
        valid = token.expires_at > time.time()
        return token.seller if valid and (request.method, request.path) in token.resources else None

    def _granted(self, request: Request) -> frozenset[str]:
        """The data elements the request's RDT grants at its operation (none for an LWA token)."""
        token = self.restricted_tokens.get(request.headers.get("x-amz-access-token", ""))
        return token.resources[(request.method, request.path)] if token else frozenset()

    def on_create_restricted_data_token(self, request: Request) -> Response:
        if request.headers.get("x-amz-access-token", "") in self.restricted_tokens:
            return sp_error(403, UNAUTHORIZED["message"], "Unauthorized")  # an RDT cannot mint one
        seller = self._seller(request)
        if isinstance(seller, Response):
            return seller
        resources: dict[tuple[str, str], frozenset[str]] = {}
        # The body's shape was checked against tokens_2021-03-01.json in _seller.
        for resource in (request.get_json(silent=True) or {})["restrictedResources"]:
            key = (resource["method"], resource["path"])
            elements = frozenset(resource.get("dataElements") or ())
            allowed = RESTRICTED_OPERATIONS.get(key)
            if allowed is None:
                return sp_error(400, f"{key[0]} {key[1]} is not a restricted resource.")
            if not elements or not elements <= allowed:
                return sp_error(400, f"dataElements must be some of {sorted(allowed)}.")
            resources[key] = elements
        if not resources:
            return sp_error(400, "Resource not provided.")
        token = f"Atz.sprdt|{secrets.token_urlsafe(24)}"
        self.restricted_tokens[token] = RestrictedDataToken(
            seller, time.time() + RDT_LIFETIME, resources
        )
        return _json({"restrictedDataToken": token, "expiresIn": RDT_LIFETIME})

    def on_get_orders(self, request: Request) -> Response:
        seller = self._seller(request)
        if isinstance(seller, Response):
            return seller
        since = request.args.get("LastUpdatedAfter") or request.args.get("CreatedAfter")
        if not since and not request.args.get("NextToken"):
            return sp_error(400, "Either CreatedAfter or LastUpdatedAfter must be specified.")
        granted = self._granted(request)
        orders = [as_served(o, granted) for o in self.orders.get(seller, [])]
        limit = int(request.args.get("MaxResultsPerPage", 100))
        start = page_start(request.args.get("NextToken", ""))
        if not 1 <= limit <= 100:  # the parameter's description: "Value must be 1 - 100."
            return sp_error(400, "MaxResultsPerPage must be between 1 and 100.")
        if start is None:
            return sp_error(400, "Invalid NextToken.")
        payload: dict[str, Any] = {
            "Orders": orders[start : start + limit],
            "LastUpdatedBefore": iso(time.time()),
        }
        if start + limit < len(orders):
            payload["NextToken"] = next_page_token(start + limit)
        return _json({"payload": payload})

    def on_get_order_items(self, request: Request, order_id: str) -> Response:
        seller = self._seller(request)
        if isinstance(seller, Response):
            return seller
        order = next(
            (o for o in self.orders.get(seller, []) if o["AmazonOrderId"] == order_id), None
        )
        if order is None:
            return sp_error(404, f"Order {order_id} not found.")
        return _json({"payload": {"AmazonOrderId": order_id, "OrderItems": order["_items"]}})

    def on_confirm_shipment(self, request: Request, order_id: str) -> Response:
        seller = self._seller(request)
        if isinstance(seller, Response):
            return seller
        # Required fields and formats were checked against ordersV0.json in _seller.
        body = request.get_json(silent=True) or {}
        self.shipments.append({"seller": seller, "order_id": order_id, **body})
        # The API produces application/json only, and says so on its empty answers too.
        return Response(status=204, headers=_request_id(), mimetype="application/json")

    def on_patch_listing(self, request: Request, seller_id: str, sku: str) -> Response:
        seller = self._seller(request)
        if isinstance(seller, Response):
            return seller
        if seller != seller_id:
            return sp_error(403, UNAUTHORIZED["message"], "Unauthorized")
        body = request.get_json(silent=True) or {}  # validated against the spec in _seller
        submission = secrets.token_hex(16)
        self.listing_patches.append({"seller": seller, "sku": sku, **body})
        self.apply_patches(seller, sku, body["patches"])
        return _json({"sku": sku, "status": "ACCEPTED", "submissionId": submission, "issues": []})

    # --- Listings: getListingsItem and the effect of patches --------------------------------

    def add_listing(
        self,
        seller: str,
        sku: str,
        *,
        quantity: int,
        asin: str = "",
        title: str = "",
        price: str | None = "19.99",
        currency: str = "EUR",
    ) -> dict[str, Any]:
        listing = {
            "asin": asin or f"B0{zlib.crc32(sku.encode()) % 10**8:08d}",
            "productType": "PRODUCT",
            "itemName": title or f"Item {sku}",
            "status": ["BUYABLE", "DISCOVERABLE"],
            "quantity": quantity,
            # The B2C offer (a buyable listing has one): our_price's value and currency.
            "price": price,
            "currency": currency,
        }
        self.listings.setdefault(seller, {})[sku] = listing
        return listing

    def apply_patches(self, seller: str, sku: str, patches: list[dict[str, Any]]) -> None:
        listing = self.listings.get(seller, {}).get(sku)
        if listing is None:
            return
        for patch in patches:
            if patch.get("path") == "/attributes/fulfillment_availability":
                listing["quantity"] = int(patch["value"][0]["quantity"])
            elif patch.get("path") == "/attributes/purchasable_offer":
                offer = patch["value"][0]
                listing["currency"] = offer["currency"]
                listing["price"] = str(offer["our_price"][0]["schedule"][0]["value_with_tax"])

    def on_get_listing(self, request: Request, seller_id: str, sku: str) -> Response:
        seller = self._seller(request)
        if isinstance(seller, Response):
            return seller
        listing = self.listings.get(seller_id, {}).get(sku) if seller == seller_id else None
        if listing is None:
            return sp_error(404, f"SKU {sku} not found for seller {seller_id}.", "NOT_FOUND")
        marketplace = request.args.get("marketplaceIds", "A1PA6795UKMFR9").split(",")[0]
        return _json(
            {
                "sku": sku,
                "summaries": [
                    {
                        "marketplaceId": marketplace,
                        "asin": listing["asin"],
                        "productType": listing["productType"],
                        "conditionType": "new_new",
                        "status": listing["status"],
                        "itemName": listing["itemName"],
                        "createdDate": iso(time.time()),
                        "lastUpdatedDate": iso(time.time()),
                    }
                ],
                "offers": _offers(listing, marketplace),
                "fulfillmentAvailability": [
                    {"fulfillmentChannelCode": "DEFAULT", "quantity": listing["quantity"]}
                ],
            }
        )


def _offers(listing: dict[str, Any], marketplace: str) -> list[dict[str, Any]]:
    """getListingsItem's `offers` (ItemOfferByMarketplace, Money.amount a decimal string)."""
    if listing["price"] is None:
        return []
    price = {"currencyCode": listing["currency"], "amount": listing["price"]}
    return [{"marketplaceId": marketplace, "offerType": "B2C", "price": price}]
