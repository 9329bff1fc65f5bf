"""Etsy OAuth 2 (PKCE, rotating refresh tokens) and Open API v3, as Etsy documents them.

Requests are validated against Etsy's own file, sandbox/specs/etsy/etsy_openapi_v3.json
(sandbox.spec_validation: a violation is a 400 with the validator's message). Responses follow
it (Self, ShopReceipts, ShopReceipt, ListingInventory, ErrorSchema); tests/sandbox holds them to it.
"""

import copy
import secrets
import time
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
from sandbox.spec_validation import openapi_violation
from sandbox.specs import ETSY

KEYSTRING = "sandboxkeystring"
SHARED_SECRET = "sandbox-etsy-secret"
ACCESS_LIFETIME = 3600
REFRESH_LIFETIME = 90 * 86400


def error(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


def money(cents: int) -> dict[str, Any]:
    return {"amount": cents, "divisor": 100, "currency_code": "EUR"}


# Etsy's limits on what a listing offers (createDraftListing reference: price 0.20-50,000 in the
# shop's currency, quantity up to 999,
# https://developers.etsy.com/documentation/reference#operation/createDraftListing); the API file
# types price and quantity only as number and int64.
PRICE_RANGE = (0.20, 50000.0)
MAX_QUANTITY = 999


def offerings_of(products: list[Any]) -> list[dict[str, Any]]:
    return [o for p in products if isinstance(p, dict) for o in p.get("offerings") or []]


def offering_refusal(offering: dict[str, Any]) -> str | None:
    low, high = PRICE_RANGE
    if not low <= float(offering["price"]) <= high:
        return f"Offering price must be between {low:.2f} and {high:.2f}"
    if not 0 <= int(offering["quantity"]) <= MAX_QUANTITY:
        return f"Offering quantity must be between 0 and {MAX_QUANTITY}"
    return None


class EtsySimulator(MarketplaceSimulator):
    prefix = "/etsy"
    marketplace = "Etsy"
    default_user = "50001"

    def rules(self) -> list[Rule]:
        return [
            Rule("/oauth/connect", endpoint="consent", methods=["GET", "POST"]),
            Rule("/v3/public/oauth/token", endpoint="token", methods=["POST"]),
            Rule("/v3/application/users/me", endpoint="me", methods=["GET"]),
            Rule(
                "/v3/application/shops/<int:shop_id>/receipts", endpoint="receipts", methods=["GET"]
            ),
            Rule(
                "/v3/application/shops/<int:shop_id>/receipts/<int:receipt_id>/tracking",
                endpoint="tracking",
                methods=["POST"],
            ),
            Rule("/_sandbox/listings", endpoint="add_listing_control", methods=["POST"]),
            Rule(
                "/v3/application/shops/<int:shop_id>/listings",
                endpoint="shop_listings",
                methods=["GET"],
            ),
            Rule(
                "/v3/application/listings/<int:listing_id>/inventory",
                endpoint="inventory",
                methods=["GET", "PUT"],
            ),
        ]

    def reset(self) -> None:
        super().reset()
        self.receipts: dict[int, list[dict[str, Any]]] = {}
        self.inventories: dict[int, dict[str, Any]] = {}
        # Listing sync (issue 11): each shop's listings, and every inventory write received.
        self.shop_listings: dict[int, dict[int, dict[str, Any]]] = {}
        self.inventory_writes: list[dict[str, Any]] = []
        self.refresh_calls = 0

    def new_book(self) -> OAuthBook:
        return OAuthBook(
            access_lifetime=ACCESS_LIFETIME, refresh_lifetime=REFRESH_LIFETIME, rotate_refresh=True
        )

    def spec_violation(self, request: Request) -> str | None:
        return openapi_violation(ETSY, request)

    def fault_response(self, fault: Fault) -> Response:
        response = json_response(fault.body or {"error": "Injected failure"}, fault.status)
        if fault.status == 429:
            response.headers["x-remaining-this-second"] = "0"
        return response

    @staticmethod
    def shop_of(user: str) -> int:
        """Each sandbox user owns one shop whose id is derived from the user id."""
        return int(user) * 10 + 1

    def demo_order(self, user: str, sku: str) -> str:
        receipt_id = 900000 + sum(len(r) for r in self.receipts.values()) + 1
        return str(self.add_receipt(user, receipt_id, sku=sku)["receipt_id"])

    def add_receipt(self, user: str, receipt_id: int, *, sku: str = "SKU-1") -> dict[str, Any]:
        now = int(time.time())
        receipt = {
            "receipt_id": receipt_id,
            "receipt_type": 0,
            "seller_user_id": int(user),
            "seller_email": "seller@example.com",
            "buyer_user_id": 777,
            "buyer_email": None,
            "name": "Erika Mustermann",
            "first_line": "Hauptstr. 1",
            "second_line": None,
            "city": "Berlin",
            "state": None,
            "zip": "10115",
            "status": "paid",
            "formatted_address": "Hauptstr. 1\n10115 Berlin",
            "country_iso": "DE",
            "payment_method": "cc",
            "payment_email": None,
            "message_from_seller": None,
            "message_from_buyer": None,
            "message_from_payment": None,
            "is_paid": True,
            "is_shipped": False,
            "create_timestamp": now,
            "created_timestamp": now,
            "update_timestamp": now,
            "updated_timestamp": now,
            "is_gift": False,
            "gift_message": "",
            "gift_sender": "",
            "grandtotal": money(1999),
            "subtotal": money(1999),
            "total_price": money(1999),
            "total_shipping_cost": money(0),
            "total_tax_cost": money(0),
            "total_vat_cost": money(0),
            "discount_amt": money(0),
            "gift_wrap_price": money(0),
            "shipments": [],
            "refunds": [],
            "transactions": [
                {
                    "transaction_id": receipt_id * 10,
                    "title": "Mug",
                    "quantity": 1,
                    "receipt_id": receipt_id,
                    "sku": sku,
                    "price": money(1999),
                    "listing_id": 9001,
                    "is_digital": False,
                }
            ],
        }
        self.receipts.setdefault(self.shop_of(user), []).append(receipt)
        return receipt

    def add_listing(
        self,
        listing_id: int,
        *,
        sku: str,
        quantity: int,
        readiness_state_id: int | None = 1,
        property_values: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A listing with one product; `readiness_state_id` is its processing profile (Etsy
        gives one for an active physical listing, null otherwise)."""
        self.inventories[listing_id] = {
            "products": [
                {
                    "product_id": listing_id * 10,
                    "sku": sku,
                    "is_deleted": False,
                    "property_values": property_values or [],
                    "offerings": [
                        {
                            "offering_id": listing_id * 100,
                            "quantity": quantity,
                            "is_enabled": True,
                            "is_deleted": False,
                            "price": money(1999),
                            "readiness_state_id": readiness_state_id,
                        }
                    ],
                }
            ],
            "price_on_property": [],
            "quantity_on_property": [],
            "sku_on_property": [],
            "readiness_state_on_property": [],
        }
        return self.inventories[listing_id]

    # --- OAuth ----------------------------------------------------------------------------

    def on_consent(self, request: Request) -> Response:
        args = request.args
        if (
            args.get("client_id") != KEYSTRING
            or args.get("code_challenge_method") != "S256"
            or not args.get("code_challenge")
            or not args.get("state")
        ):
            return Response("client_id, state and an S256 code_challenge are required", status=400)

        def approve(user: str) -> str:
            code = self.book.issue_code(
                user, redirect_uri=args.get("redirect_uri", ""), challenge=args["code_challenge"]
            )
            return with_query(args.get("redirect_uri", ""), code=code, state=args["state"])

        return self.consent_page(request, approve)

    def on_token(self, request: Request) -> Response:
        form = request.form
        if form.get("client_id") != KEYSTRING:
            return error(401, "invalid_client")
        if form.get("grant_type") == "authorization_code":
            user = self.book.redeem_code(
                form.get("code", ""),
                redirect_uri=form.get("redirect_uri", ""),
                verifier=form.get("code_verifier", ""),
            )
            if user is None:
                return invalid_grant("code is invalid, expired, or the code_verifier is wrong")
            return json_response(self._tokens(self.book.issue(user, prefix="{user}.")))
        if form.get("grant_type") == "refresh_token":
            self.refresh_calls += 1
            fresh = self.book.use_refresh(form.get("refresh_token", ""), prefix="{user}.")
            if fresh is None:
                return invalid_grant("refresh_token is invalid, expired or already used")
            return json_response(self._tokens(fresh))
        return error(400, "unsupported_grant_type")

    @staticmethod
    def _tokens(tokens: dict[str, Any]) -> dict[str, Any]:
        return {
            "access_token": tokens["access_token"],
            "token_type": "Bearer",
            "expires_in": ACCESS_LIFETIME,
            "refresh_token": tokens["refresh_token"],
        }

    # --- Open API v3 ----------------------------------------------------------------------

    def _user(self, request: Request) -> str | Response:
        if request.headers.get("x-api-key") != f"{KEYSTRING}:{SHARED_SECRET}":
            return error(403, "Invalid API key")
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        user = self.book.user_of(token)
        if user is None or user in self.denied:
            return error(401, "invalid_token")
        return self.refusal(request) or user

    def on_me(self, request: Request) -> Response:
        user = self._user(request)
        if isinstance(user, Response):
            return user
        return json_response({"user_id": int(user), "shop_id": self.shop_of(user)})

    def _own_shop(self, request: Request, shop_id: int) -> str | Response:
        user = self._user(request)
        if isinstance(user, str) and self.shop_of(user) != shop_id:
            return error(403, "You do not have permission to view this shop's receipts")
        return user

    def on_receipts(self, request: Request, shop_id: int) -> Response:
        user = self._own_shop(request, shop_id)
        if isinstance(user, Response):
            return user
        since = int(request.args.get("min_last_modified", 0))
        limit, offset = int(request.args.get("limit", 25)), int(request.args.get("offset", 0))
        if not 1 <= limit <= 100:
            return error(400, "limit must be between 1 and 100")
        found = [r for r in self.receipts.get(shop_id, []) if r["updated_timestamp"] >= since]
        return json_response({"count": len(found), "results": found[offset : offset + limit]})

    def on_tracking(self, request: Request, shop_id: int, receipt_id: int) -> Response:
        user = self._own_shop(request, shop_id)
        if isinstance(user, Response):
            return user
        receipt = next(
            (r for r in self.receipts.get(shop_id, []) if r["receipt_id"] == receipt_id), None
        )
        body = request.get_json(silent=True) or {}
        if receipt is None:
            return error(404, f"Receipt {receipt_id} not found")
        if not body.get("tracking_code") or not body.get("carrier_name"):
            return error(400, "tracking_code and carrier_name are required")
        receipt["is_shipped"] = True
        receipt["shipments"].append(
            {
                "receipt_shipping_id": secrets.randbelow(10**9) + 1,
                "shipment_notification_timestamp": int(time.time()),
                "carrier_name": body["carrier_name"],
                "tracking_code": body["tracking_code"],
            }
        )
        return json_response(receipt)

    def on_inventory(self, request: Request, listing_id: int) -> Response:
        user = self._user(request)
        if isinstance(user, Response):
            return user
        inventory = self.inventories.get(listing_id)
        if inventory is None:
            return error(404, f"Listing {listing_id} not found")
        if request.method == "GET":
            return json_response(inventory)
        products = (request.get_json(silent=True) or {}).get("products")
        if not isinstance(products, list) or not products:
            return error(400, "products is required")
        refused = next(filter(None, map(offering_refusal, offerings_of(products))), None)
        if refused:
            return error(400, refused)
        self.inventory_writes.append({"listing_id": listing_id, "products": products})
        for stored, sent in zip(inventory["products"], products, strict=False):
            for offering, new in zip(stored["offerings"], sent.get("offerings", []), strict=False):
                offering["quantity"] = int(new["quantity"])
                offering["price"] = money(round(float(new["price"]) * 100))
                offering["readiness_state_id"] = new.get("readiness_state_id")
        return json_response(inventory)

    # --- Listings: getListingsByShop ------------------------------------------------------

    def add_shop_listing(
        self, user: str, listing_id: int, *, skus: list[str], quantity: int, title: str = ""
    ) -> None:
        """An active listing of the user's shop with one product (offering) per SKU."""
        self.add_listing(listing_id, sku=skus[0], quantity=quantity)
        products = self.inventories[listing_id]["products"]
        for index, sku in enumerate(skus[1:], start=1):
            extra = copy.deepcopy(products[0])
            extra["product_id"] = listing_id * 10 + index
            extra["sku"] = sku
            extra["offerings"][0]["offering_id"] = listing_id * 100 + index
            products.append(extra)
        self.shop_listings.setdefault(self.shop_of(user), {})[listing_id] = {
            "listing_id": listing_id,
            "shop_id": self.shop_of(user),
            "user_id": int(user),
            "title": title or f"Listing {listing_id}",
            "state": "active",
            "quantity": quantity * len(skus),
            "skus": skus,
            "price": money(1999),
        }

    def on_add_listing_control(self, request: Request) -> Response:
        """POST user, listing_id, skus (comma-separated), quantity[, title] (demo)."""
        form = request.form
        if not form.get("user") or not form.get("listing_id") or not form.get("skus"):
            return Response("user, listing_id and skus are required", status=400)
        self.add_shop_listing(
            form["user"],
            int(form["listing_id"]),
            skus=form["skus"].split(","),
            quantity=int(form.get("quantity", 0)),
            title=form.get("title", ""),
        )
        return Response(status=204)

    def on_shop_listings(self, request: Request, shop_id: int) -> Response:
        user = self._own_shop(request, shop_id)
        if isinstance(user, Response):
            return user
        limit, offset = int(request.args.get("limit", 25)), int(request.args.get("offset", 0))
        if not 1 <= limit <= 100:
            return error(400, "limit must be between 1 and 100")
        state = request.args.get("state", "active")
        found = [
            listing
            for listing in self.shop_listings.get(shop_id, {}).values()
            if listing["state"] == state
        ]
        includes = set(request.args.get("includes", "").split(","))
        results = [
            {**listing, "inventory": self.inventories[listing["listing_id"]]}
            if "Inventory" in includes
            else listing
            for listing in found[offset : offset + limit]
        ]
        return json_response({"count": len(found), "results": results})
