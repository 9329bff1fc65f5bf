"""eBay OAuth (user + application tokens) and the Trading API (XML), as eBay documents them.

Trading answers HTTP 200 with `<Ack>Failure</Ack>` and `<Errors>` for refused calls; the
token error codes are 931, 932, 21916984 and 21917053. The OAuth token endpoint takes
Basic client credentials and answers RFC 6749 errors (`invalid_grant`). The notification
public key endpoint serves the key that signs Marketplace Account Deletion notifications.
"""

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
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

CLIENT_ID = "Salestio-sandbox-PRD"
CLIENT_SECRET = "sandbox-ebay-secret"
RU_NAME = "Salestio-sandbox-RuName"
ACCESS_LIFETIME = 7200
REFRESH_LIFETIME = 47304000  # 18 months
NS = "urn:ebay:apis:eBLBaseComponents"
TOKEN_MESSAGES = {
    931: "Auth token is invalid.",
    932: "Auth token is hard expired.",
    21916984: "Invalid IAF token.",
    21917053: "IAF token supplied is expired.",
}
MAX_INVENTORY_STATUS = 4


def _xml(value: Any, name: str = "") -> str:
    """A dict as elements; its "@name" keys become attributes and "#text" the text, as in
    `<Total currencyID="EUR">19.99</Total>` ({"@currencyID": "EUR", "#text": "19.99"})."""
    attributes = ""
    if isinstance(value, dict):
        attributes = "".join(
            f' {k[1:]}="{escape(str(v), {chr(34): "&quot;"})}"'
            for k, v in value.items()
            if k.startswith("@")
        )
        inner = escape(str(value["#text"])) if "#text" in value else ""
        inner += "".join(_xml(v, k) for k, v in value.items() if k[0] not in "@#")
    elif isinstance(value, list):
        return "".join(_xml(item, name) for item in value)
    else:
        inner = escape(str(value))
    return f"<{name}{attributes}>{inner}</{name}>" if name else inner


def _now() -> str:
    return datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def trading_response(
    verb: str, body: dict[str, Any], *, errors: list[dict[str, Any]] | None = None
) -> Response:
    ack = "Failure" if errors else "Success"
    content = {
        "Timestamp": _now(),
        "Ack": ack,
        "Version": "1271",
        "Build": "E1271_CORE_SANDBOX",
        "Errors": errors or [],
        **body,
    }
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><{verb}Response xmlns="{NS}">'
        f"{_xml(content)}</{verb}Response>"
    )
    return Response(xml, mimetype="text/xml")


def trading_error(code: int, message: str) -> dict[str, Any]:
    return {
        "ShortMessage": message,
        "LongMessage": message,
        "ErrorCode": code,
        "SeverityCode": "Error",
        "ErrorClassification": "RequestError",
    }


def _parse(request: Request) -> ElementTree.Element:
    root = ElementTree.fromstring(request.get_data() or b"<Empty/>")
    for element in root.iter():
        element.tag = element.tag.split("}", 1)[-1]
    return root


class EbaySimulator(MarketplaceSimulator):
    prefix = "/ebay"
    marketplace = "eBay"
    default_user = "sandbox_seller"

    def rules(self) -> list[Rule]:
        return [
            Rule("/oauth2/authorize", endpoint="consent", methods=["GET", "POST"]),
            Rule("/identity/v1/oauth2/token", endpoint="token", methods=["POST"]),
            Rule("/ws/api.dll", endpoint="trading", methods=["POST"]),
            Rule("/_sandbox/items", endpoint="add_item_control", methods=["POST"]),
            Rule(
                "/_sandbox/items/<item_id>/out-of-stock-control",
                endpoint="out_of_stock_control",
                methods=["POST"],
            ),
            Rule(
                "/commerce/notification/v1/public_key/<kid>", endpoint="public_key", methods=["GET"]
            ),
        ]

    def reset(self) -> None:
        super().reset()
        self.orders: dict[str, list[dict[str, Any]]] = {}
        self.completed_sales: list[dict[str, Any]] = []
        self.inventory_updates: list[dict[str, Any]] = []
        # Active fixed-price items per seller, by ItemID (listing sync, issue 11).
        self.items: dict[str, dict[str, dict[str, Any]]] = {}
        self.revise_calls = 0
        # eBay sends the merchant to the accept URL registered for the RuName.
        self.accept_urls = {RU_NAME: f"{self.config.app_url}/accounts/oauth/ebay/callback"}
        self.app_tokens = OAuthBook(access_lifetime=ACCESS_LIFETIME, refresh_lifetime=1)
        self.app_token_grants = 0
        self.public_key_requests: list[str] = []
        self.signing_key = ec.generate_private_key(ec.SECP256R1())
        # eBay's key ids are UUIDs (the test data of eBay's event-notification SDKs).
        self.key_id = str(uuid.uuid4())

    def new_book(self) -> OAuthBook:
        return OAuthBook(access_lifetime=ACCESS_LIFETIME, refresh_lifetime=REFRESH_LIFETIME)

    def fault_response(self, fault: Fault) -> Response:
        if isinstance(fault.body, str):  # a Trading API answer as XML (e.g. eBay's own sample)
            return Response(fault.body, status=fault.status, mimetype="text/xml")
        if fault.body:
            return json_response(fault.body, fault.status)
        return Response("Service Unavailable", status=fault.status, mimetype="text/plain")

    def demo_order(self, user: str, sku: str) -> str:
        order_id = f"12-{len(self.orders.get(user, [])) + 10001:05d}-DEMO"
        order = self.add_order(user, order_id)
        order["Total"] = {"@currencyID": "EUR", "#text": "24.99"}
        order["ShippingAddress"] = {
            "Name": "Max Muster",
            "Street1": "Ringstr. 5",
            "CityName": "Hamburg",
            "PostalCode": "20095",
            "Country": "DE",
        }
        order["TransactionArray"] = {
            "Transaction": [
                {
                    "OrderLineItemID": f"{order_id}-1",
                    "Item": {"SKU": sku, "Title": "Demo item"},
                    "QuantityPurchased": "1",
                    "TransactionPrice": {"@currencyID": "EUR", "#text": "24.99"},
                }
            ]
        }
        return order_id

    def add_order(self, user: str, order_id: str, *, status: str = "Completed") -> dict[str, Any]:
        order = {
            "OrderID": order_id,
            "OrderStatus": status,
            "CreatedTime": _now(),
            "CheckoutStatus": {"LastModifiedTime": _now(), "Status": "Complete"},
            "Total": "19.99",
        }
        self.orders.setdefault(user, []).append(order)
        return order

    def sign_notification(self, body: bytes, *, kid: str = "") -> str:
        """The X-EBAY-SIGNATURE header eBay would send with this body (or naming `kid`)."""
        signature = self.signing_key.sign(body, ec.ECDSA(hashes.SHA1()))
        header = {
            "alg": "ecdsa",
            "kid": kid or self.key_id,
            "signature": base64.b64encode(signature).decode(),
            "digest": "SHA1",
        }
        return base64.b64encode(json.dumps(header).encode()).decode()

    # --- OAuth ----------------------------------------------------------------------------

    def on_consent(self, request: Request) -> Response:
        args = request.args
        accept_url = self.accept_urls.get(args.get("redirect_uri", ""))
        if args.get("client_id") != CLIENT_ID or accept_url is None:
            return Response("unknown client_id or RuName", status=400)

        def approve(user: str) -> str:
            code = self.book.issue_code(user, redirect_uri=args["redirect_uri"])
            return with_query(accept_url, state=args.get("state", ""), code=code, expires_in="299")

        return self.consent_page(request, approve)

    def on_token(self, request: Request) -> Response:
        if request.authorization is None or (
            request.authorization.username,
            request.authorization.password,
        ) != (CLIENT_ID, CLIENT_SECRET):
            return json_response(
                {"error": "invalid_client", "error_description": "client authentication failed"},
                401,
            )
        grant = request.form.get("grant_type")
        if grant == "authorization_code":
            user = self.book.redeem_code(
                request.form.get("code", ""), redirect_uri=request.form.get("redirect_uri", "")
            )
            if user is None:
                return invalid_grant(
                    "the provided authorization grant code is invalid or was "
                    "issued to another client"
                )
            tokens = self.book.issue(user, prefix="v^1.1#i^1#")
            return json_response({**tokens, "token_type": "User Access Token"})
        if grant == "refresh_token":
            fresh = self.book.use_refresh(
                request.form.get("refresh_token", ""), prefix="v^1.1#i^1#"
            )
            if fresh is None:
                return invalid_grant(
                    "the provided authorization refresh token is invalid or "
                    "was issued to another client"
                )
            return json_response(
                {
                    "access_token": fresh["access_token"],
                    "expires_in": ACCESS_LIFETIME,
                    "token_type": "User Access Token",
                }
            )
        if grant == "client_credentials":
            self.app_token_grants += 1
            token = self.app_tokens.issue("application")["access_token"]
            return json_response(
                {
                    "access_token": token,
                    "expires_in": ACCESS_LIFETIME,
                    "token_type": "Application Access Token",
                }
            )
        return json_response({"error": "unsupported_grant_type"}, 400)

    def on_public_key(self, request: Request, kid: str) -> Response:
        self.public_key_requests.append(kid)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.app_tokens.user_of(token) is None:
            return json_response(
                {"errors": [{"errorId": 1001, "message": "Invalid access token"}]}, 401
            )
        if kid != self.key_id:
            return json_response(
                {"errors": [{"errorId": 195001, "message": "Public key not found"}]}, 404
            )
        pem = (
            self.signing_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        return json_response({"algorithm": "ECDSA", "digest": "SHA1", "key": pem.replace("\n", "")})

    # --- Trading API ----------------------------------------------------------------------

    def on_trading(self, request: Request) -> Response:
        verb = request.headers.get("X-EBAY-API-CALL-NAME", "")
        handler = getattr(self, f"call_{verb}", None)
        if handler is None:
            return trading_response(
                verb or "Unknown", {}, errors=[trading_error(2, "Unsupported API call.")]
            )
        user = self._user(request.headers.get("X-EBAY-API-IAF-TOKEN", ""))
        if isinstance(user, int):
            return trading_response(verb, {}, errors=[trading_error(user, TOKEN_MESSAGES[user])])
        return handler(user, _parse(request))

    def _user(self, token: str) -> str | int:
        """The token's user, or the error code eBay gives for it."""
        entry = self.book.access.get(token)
        if entry is None or entry.spent:
            return 21916984
        if entry.expires_at < time.time():
            return 21917053
        return int(self.denied[entry.user]) if entry.user in self.denied else entry.user

    def deny(self, user: str, detail: Any = 931) -> None:
        super().deny(user, 931 if detail is True else int(detail))

    def call_GetUser(self, user: str, _: ElementTree.Element) -> Response:  # noqa: N802
        return trading_response(
            "GetUser", {"User": {"UserID": user, "Status": "Confirmed", "Site": "Germany"}}
        )

    def call_GetTokenStatus(self, user: str, _: ElementTree.Element) -> Response:  # noqa: N802
        expires = max(t.expires_at for t in self.book.refresh.values() if t.user == user)
        status = {
            "Status": "Active",
            "ExpirationTime": datetime.fromtimestamp(expires, tz=UTC).isoformat(),
        }
        return trading_response("GetTokenStatus", {"TokenStatus": status})

    def call_GetOrders(self, user: str, request: ElementTree.Element) -> Response:  # noqa: N802
        per_page = int(request.findtext("Pagination/EntriesPerPage") or 100)
        page = int(request.findtext("Pagination/PageNumber") or 1)
        orders = self.orders.get(user, [])
        chunk = orders[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(orders) // per_page))
        return trading_response(
            "GetOrders",
            {
                "PaginationResult": {
                    "TotalNumberOfPages": pages,
                    "TotalNumberOfEntries": len(orders),
                },
                "HasMoreOrders": str(page < pages).lower(),
                "OrderArray": {"Order": chunk} if chunk else {},
                "OrdersPerPage": per_page,
                "PageNumber": page,
                "ReturnedOrderCountActual": len(chunk),
            },
        )

    def call_CompleteSale(self, user: str, request: ElementTree.Element) -> Response:  # noqa: N802
        order_id = request.findtext("OrderID") or ""
        if not any(o["OrderID"] == order_id for o in self.orders.get(user, [])):
            return trading_response(
                "CompleteSale",
                {},
                errors=[trading_error(21916261, "The specified order could not be found.")],
            )
        tracking = request.findtext("Shipment/ShipmentTrackingDetails/ShipmentTrackingNumber")
        self.completed_sales.append({"user": user, "order_id": order_id, "tracking": tracking})
        return trading_response("CompleteSale", {})

    def call_ReviseInventoryStatus(self, user: str, request: ElementTree.Element) -> Response:  # noqa: N802
        statuses = request.findall("InventoryStatus")
        if not statuses or len(statuses) > MAX_INVENTORY_STATUS:
            return trading_response(
                "ReviseInventoryStatus",
                {},
                errors=[
                    trading_error(
                        21919169, "You can revise the inventory status of up to 4 items per call."
                    )
                ],
            )
        self.revise_calls += 1
        requested = [{child.tag: child.text for child in status} for status in statuses]
        refused = {id(item): self.item_refusal(user, item) for item in requested}
        echoed = [item for item in requested if refused[id(item)] is None]
        self.inventory_updates += [{"user": user, **item} for item in echoed]
        for item in echoed:
            self.apply_inventory_status(user, item)
        return revise_response(echoed, [error for error in refused.values() if error])

    # --- Listings: GetMyeBaySelling and ReviseInventoryStatus on the seller's items ---------

    def add_item(
        self,
        user: str,
        item_id: str,
        *,
        sku: str,
        quantity: int,
        price: str = "19.99",
        title: str = "",
        out_of_stock_control: bool = True,
    ) -> dict[str, Any]:
        item = {
            "ItemID": item_id,
            "SKU": sku,
            "Title": title or f"Item {sku}",
            "Quantity": quantity,
            "StartPrice": price,
            "OutOfStockControl": out_of_stock_control,
        }
        self.items.setdefault(user, {})[item_id] = item
        return item

    def find_item(self, user: str, item: dict[str, Any]) -> dict[str, Any] | None:
        items = self.items.get(user, {})
        if item.get("ItemID"):
            return items.get(str(item["ItemID"]))
        return next((i for i in items.values() if i["SKU"] == item.get("SKU")), None)

    def item_refusal(self, user: str, item: dict[str, Any]) -> dict[str, Any] | None:
        """The error eBay gives this InventoryStatus, naming the item in ErrorParameters.

        Quantity 0 ends a fixed-price listing unless the seller switched on out-of-stock
        control, and the revision is refused (eBay's out-of-stock control help)."""
        found = self.find_item(user, item)
        key = str(item.get("ItemID") or item.get("SKU") or "")
        if found is None:
            return None if not self.items.get(user) else item_error(21916799, "SKU Mismatch", key)
        if int(item.get("Quantity") or 0) == 0 and not found["OutOfStockControl"]:
            return item_error(
                515,
                "Quantity is not valid. The quantity must be a valid number greater than 0 "
                "(switch on out-of-stock control to keep listings with quantity 0).",
                key,
            )
        return None

    def apply_inventory_status(self, user: str, item: dict[str, Any]) -> None:
        found = self.find_item(user, item)
        if found is None:
            return
        if item.get("Quantity") is not None:
            found["Quantity"] = int(item["Quantity"])
        if item.get("StartPrice") is not None:
            found["StartPrice"] = item["StartPrice"]

    def call_GetMyeBaySelling(self, user: str, request: ElementTree.Element) -> Response:  # noqa: N802
        per_page = int(request.findtext("ActiveList/Pagination/EntriesPerPage") or 200)
        page = int(request.findtext("ActiveList/Pagination/PageNumber") or 1)
        items = list(self.items.get(user, {}).values())
        chunk = items[(page - 1) * per_page : page * per_page]
        active = {
            "ItemArray": {"Item": [_active_item(item) for item in chunk]} if chunk else {},
            "PaginationResult": {
                "TotalNumberOfPages": max(1, -(-len(items) // per_page)),
                "TotalNumberOfEntries": len(items),
            },
        }
        return trading_response("GetMyeBaySelling", {"ActiveList": active})

    def on_add_item_control(self, request: Request) -> Response:
        """POST user, item_id, sku, quantity[, price, out_of_stock_control=0|1] (demo)."""
        form = request.form
        if not form.get("user") or not form.get("item_id"):
            return Response("user and item_id are required", status=400)
        self.add_item(
            form["user"],
            form["item_id"],
            sku=form.get("sku", ""),
            quantity=int(form.get("quantity", 0)),
            price=form.get("price", "19.99"),
            title=form.get("title", ""),
            out_of_stock_control=form.get("out_of_stock_control", "1") == "1",
        )
        return Response(status=204)

    def on_out_of_stock_control(self, request: Request, item_id: str) -> Response:
        """The demo's fix: the seller switches on out-of-stock control for an item."""
        for items in self.items.values():
            if item_id in items:
                items[item_id]["OutOfStockControl"] = request.form.get("enabled", "1") == "1"
                return Response(status=204)
        return Response("unknown item", status=404)


def item_error(code: int, message: str, key: str) -> dict[str, Any]:
    return {**trading_error(code, message), "ErrorParameters": {"Value": key}}


def revise_response(echoed: list[dict[str, Any]], errors: list[dict[str, Any]]) -> Response:
    """Ack Failure when every item was refused, Warning when some were (AckCodeType)."""
    if errors and not echoed:
        return trading_response("ReviseInventoryStatus", {}, errors=errors)
    response = trading_response("ReviseInventoryStatus", {"InventoryStatus": echoed}, errors=errors)
    if errors:
        response.set_data(response.get_data().replace(b"<Ack>Failure</Ack>", b"<Ack>Warning</Ack>"))
    return response


def _active_item(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "ItemID": item["ItemID"],
        "SKU": item["SKU"],
        "Title": item["Title"],
        "Quantity": item["Quantity"],
        "QuantityAvailable": item["Quantity"],
        "ListingType": "FixedPriceItem",
        "SellingStatus": {"CurrentPrice": item["StartPrice"]},
    }
