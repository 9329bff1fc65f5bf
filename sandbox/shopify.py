"""Shopify, simulated: the OAuth token endpoint (token exchange, refresh, authorization code),
the Admin GraphQL API behind a leaky bucket, the webhook sender, and the admin itself — a page
that frames the app — with an App Bridge stand-in script.

    POST /shopify/{shop}/admin/oauth/access_token
    GET  /shopify/{shop}/admin/oauth/authorize
    POST /shopify/{shop}/admin/api/{version}/graphql.json
    GET  /shopify/{shop}/admin/charges/{api_key}/{id}/RecurringApplicationCharge/confirm_…
    POST /shopify/_control/subscriptions          (JSON: shop, id, status): the merchant or
                                                  Shopify cancels, freezes or reactivates one
    POST /shopify/_control/webhooks               (JSON: shop, topic, payload[, event_id])
    GET  /shopify/cdn/app-bridge.js
    GET  /store/{handle}/apps/{api_key}[/{path}]  the admin page, as admin.shopify.com has it

Wire formats follow Shopify's docs:
- token exchange: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
- session tokens: https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
- GraphQL rate limits: https://shopify.dev/docs/api/usage/rate-limits
- webhooks: https://shopify.dev/docs/apps/build/webhooks/subscribe/https
The signatures are written here from Shopify's documentation, not imported from salestio, so the
app and the sandbox check each other.
"""

import base64
import contextlib
import gzip
import hashlib
import hmac
import html
import itertools
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlencode, urlsplit

import graphql
import jwt
import requests
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from sandbox.responses import json_response as _json
from sandbox.responses import with_query as _with_query
from sandbox.server import SandboxConfig
from sandbox.shopify_inventory import Catalog, Variant, connection, search_terms
from sandbox.specs import SHOPIFY_ADMIN_SCHEMA

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("shopify_assets")
PUBLISHED_SCHEMA = SHOPIFY_ADMIN_SCHEMA
SHOP_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
ACCESS_TOKEN_TTL = 3600
REFRESH_TOKEN_TTL = 7_776_000
# A spent refresh token stays retryable until its replacement is used, at most this long
# (shopify.dev changelog "More resilient refreshes for expiring offline access tokens").
REFRESH_RETRY_WINDOW = 30 * 86_400
CODE_TTL = 600
SESSION_TOKEN_TTL = 60
SESSION_TOKEN_LEEWAY = 10
MUTATION_COST = 10
DEFAULT_SCOPES = "read_orders,write_orders,read_products,read_fulfillments,read_inventory"
DEFAULT_API_VERSION = "2026-10"
INVALID_ACCESS_TOKEN = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
THROTTLED_ERROR = {
    "message": "Throttled",
    "extensions": {
        "code": "THROTTLED",
        "documentation": "https://shopify.dev/api/usage/rate-limits",
    },
}
BILLING_PERIOD = {"EVERY_30_DAYS": timedelta(days=30), "ANNUAL": timedelta(days=365)}
ASSET_TYPES = {"app-bridge.js": "text/javascript", "admin.js": "text/javascript"}


# --- Signatures, as Shopify documents them ---------------------------------------------------


def query_hmac(params: Mapping[str, str], secret: str) -> str:
    """OAuth redirect / app URL signature: drop `hmac`, sort `k=v` pairs, join with `&`."""
    message = "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def webhook_hmac(body: bytes, secret: str) -> str:
    """X-Shopify-Hmac-Sha256: base64 of HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def mint_session_token(shop: str, *, api_key: str, secret: str, user_id: str = "1") -> str:
    """A session token as the admin hands it to App Bridge: HS256, one minute."""
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": api_key,
        "sub": user_id,
        "exp": now + SESSION_TOKEN_TTL,
        "nbf": now,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "sid": secrets.token_hex(16),
        "sig": secrets.token_hex(32),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def session_token_shop(token: str, *, api_key: str, secret: str) -> str | None:
    """The shop a valid session token names; None for a stale, forged or mixed-shop token."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=api_key,
            leeway=SESSION_TOKEN_LEEWAY,
            options={"require": ["exp", "nbf", "iss", "dest", "aud"]},
        )
    except jwt.PyJWTError:
        return None
    dest = urlsplit(str(claims["dest"])).hostname
    return dest if dest == urlsplit(str(claims["iss"])).hostname else None


def admin_host_param(admin_base: str, handle: str) -> str:
    """The `host` parameter: base64url of the admin's store path, padding dropped."""
    netloc = urlsplit(admin_base).netloc
    return base64.urlsafe_b64encode(f"{netloc}/store/{handle}".encode()).decode().rstrip("=")


# --- Rate limit -------------------------------------------------------------------------------


class LeakyBucket:
    """Shopify's cost bucket: drains by each query's cost, refills `restore_rate` points/second."""

    def __init__(
        self,
        maximum: float = 2000.0,
        restore_rate: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._clock = clock
        self._available = maximum
        self._at = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    def take(self, cost: float) -> bool:
        with self._lock:
            self._refill()
            if self._available < cost:
                return False
            self._available -= cost
            return True

    def status(self) -> dict[str, float]:
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": int(self._available),
                "restoreRate": self.restore_rate,
            }


def requested_cost(
    schema: graphql.GraphQLSchema,
    document: graphql.DocumentNode,
    operation: graphql.OperationDefinitionNode,
    variables: Mapping[str, Any],
) -> int:
    """Shopify's published rules, roughly: 10 per mutation; per object field 1, scalars free;
    a paginated field costs 2 plus `first`/`last` times its selection."""
    if operation.operation == graphql.OperationType.MUTATION:
        return MUTATION_COST * len(operation.selection_set.selections)
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, graphql.FragmentDefinitionNode)
    }
    walk = _SelectionCost(schema, fragments, variables)
    root = schema.query_type
    return walk.cost(root, operation.selection_set) if root else 0


@dataclass
class _SelectionCost:
    schema: graphql.GraphQLSchema
    fragments: dict[str, graphql.FragmentDefinitionNode]
    variables: Mapping[str, Any]

    def cost(
        self, parent: graphql.GraphQLNamedType, selection_set: graphql.SelectionSetNode
    ) -> int:
        return sum(self._selection(parent, node) for node in selection_set.selections)

    def _selection(self, parent: graphql.GraphQLNamedType, node: graphql.SelectionNode) -> int:
        if isinstance(node, graphql.FieldNode):
            return self._field(parent, node)
        if isinstance(node, graphql.FragmentSpreadNode):
            fragment = self.fragments[node.name.value]
            return self.cost(self._named(fragment.type_condition, parent), fragment.selection_set)
        assert isinstance(node, graphql.InlineFragmentNode)
        return self.cost(self._named(node.type_condition, parent), node.selection_set)

    def _named(
        self, condition: graphql.NamedTypeNode | None, parent: graphql.GraphQLNamedType
    ) -> graphql.GraphQLNamedType:
        named = self.schema.get_type(condition.name.value) if condition else None
        return named or parent

    def _field(self, parent: graphql.GraphQLNamedType, node: graphql.FieldNode) -> int:
        fields = getattr(parent, "fields", {})
        definition = fields.get(node.name.value)
        if definition is None or node.selection_set is None:
            return 0
        child = graphql.get_named_type(definition.type)
        inner = self.cost(child, node.selection_set)
        page = self._page_size(node)
        return 1 + inner if page is None else 2 + page * inner

    def _page_size(self, node: graphql.FieldNode) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                value = graphql.value_from_ast_untyped(argument.value, dict(self.variables))
                return int(value or 0)
        return None


# --- Per-shop state ---------------------------------------------------------------------------


@dataclass
class RefreshGrant:
    expires_at: float
    parent: str | None = None
    # The token response this refresh token was spent on; replayed while retryable.
    replacement: dict[str, Any] | None = None
    first_used_at: float | None = None


@dataclass
class Subscription:
    id: int
    name: str
    return_url: str
    test: bool
    trial_days: int
    price: Decimal
    currency: str
    interval: str
    status: str = "PENDING"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    current_period_end: datetime | None = None

    @property
    def gid(self) -> str:
        return f"gid://shopify/AppSubscription/{self.id}"

    def as_node(self) -> dict[str, Any]:
        return {
            "id": self.gid,
            "name": self.name,
            "status": self.status,
            "test": self.test,
            "trialDays": self.trial_days,
            "createdAt": _iso(self.created_at),
            "currentPeriodEnd": _iso(self.current_period_end),
            "returnUrl": self.return_url,
        }

    def as_webhook(self, shop_gid: str) -> dict[str, Any]:
        """app_subscriptions/update payload (REST shape, as the webhook sends it)."""
        return {
            "app_subscription": {
                "admin_graphql_api_id": self.gid,
                "name": self.name,
                "status": self.status,
                "admin_graphql_api_shop_id": shop_gid,
                "created_at": _iso(self.created_at),
                "updated_at": _iso(datetime.now(UTC)),
                "currency": self.currency,
                "capped_amount": None,
            }
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@dataclass
class ShopState:
    """One shop as Shopify knows it: issued tokens, details, its bucket, its subscriptions."""

    domain: str
    number: int
    scope: str
    details: dict[str, str] = field(default_factory=dict)
    bucket: LeakyBucket = field(default_factory=LeakyBucket)
    access_tokens: dict[str, float | None] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    codes: dict[str, float] = field(default_factory=dict)
    # Statuses the next API requests answer with instead of their result (tests' failures).
    failures: list[int] = field(default_factory=list)
    # Grant types of every token response, in order.
    grants: list[str] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    # The orders orderCreate made (with their full input); variants live in the Catalog.
    orders: list[dict[str, Any]] = field(default_factory=list)
    # Development stores may create only 5 orders a minute (shopify.dev orderCreate docs).
    development: bool = False
    order_times: list[float] = field(default_factory=list)
    # Tests: orderCreate creates the order, then holds its answer until this is set.
    answer_gate: threading.Event | None = None
    throttled: int = 0  # requests answered THROTTLED, for benchmarks
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def new(cls, domain: str, number: int, scope: str) -> "ShopState":
        handle = domain.removesuffix(".myshopify.com")
        details = {
            "name": handle.replace("-", " ").title(),
            "email": f"owner@{domain}",
            "contactEmail": f"support@{domain}",
            "currencyCode": "EUR",
            "ianaTimezone": "Europe/Berlin",
        }
        return cls(domain=domain, number=number, scope=scope, details=details)

    @property
    def gid(self) -> str:
        return f"gid://shopify/Shop/{self.number}"

    def issue(self, grant: str, *, expiring: bool, parent: str | None = None) -> dict[str, Any]:
        now = time.time()
        access = f"shpat_{secrets.token_hex(16)}"
        body: dict[str, Any] = {"access_token": access, "scope": self.scope}
        with self.lock:
            self.access_tokens[access] = now + ACCESS_TOKEN_TTL if expiring else None
            self.grants.append(grant)
            if expiring:
                refresh = f"shprt_{secrets.token_hex(16)}"
                self.refresh_tokens[refresh] = RefreshGrant(now + REFRESH_TOKEN_TTL, parent)
                body |= {
                    "expires_in": ACCESS_TOKEN_TTL,
                    "refresh_token": refresh,
                    "refresh_token_expires_in": REFRESH_TOKEN_TTL,
                }
        return body

    def refresh(self, token: str) -> dict[str, Any] | None:
        """Spend a refresh token: a new pair, or the same pair again for a retry of a spent one."""
        now = time.time()
        with self.lock:
            grant = self.refresh_tokens.get(token)
            if grant is None or grant.expires_at <= now:
                return None
            if grant.replacement is not None:
                return self._replay(grant, now)
            if grant.parent:
                self.refresh_tokens.pop(grant.parent, None)  # its replacement is now in use
            grant.replacement = self.issue("refresh_token", expiring=True, parent=token)
            grant.first_used_at = now
            return grant.replacement

    def _replay(self, grant: RefreshGrant, now: float) -> dict[str, Any] | None:
        assert grant.replacement is not None and grant.first_used_at is not None
        if now - grant.first_used_at > REFRESH_RETRY_WINDOW:
            return None
        self.access_tokens[grant.replacement["access_token"]] = now + ACCESS_TOKEN_TTL
        self.grants.append("refresh_token")
        return grant.replacement

    def grant_code(self, scope: str) -> str:
        code = secrets.token_hex(16)
        with self.lock:
            self.codes[code] = time.time() + CODE_TTL
            self.scope = scope or self.scope
        return code

    def spend_code(self, code: str) -> bool:
        with self.lock:
            expires = self.codes.pop(code, 0.0)
        return expires > time.time()

    def token_is_live(self, token: str) -> bool:
        with self.lock:
            if token not in self.access_tokens:
                return False
            expires = self.access_tokens[token]
        return expires is None or expires > time.time()

    def expire_access_tokens(self) -> None:
        with self.lock:
            past = time.time() - 1
            self.access_tokens = dict.fromkeys(self.access_tokens, past)

    def next_failure(self) -> int | None:
        with self.lock:
            return self.failures.pop(0) if self.failures else None

    def subscription(self, number: int) -> Subscription:
        found = next((s for s in self.subscriptions if s.id == number), None)
        if found is None:
            raise NotFound("no such charge")
        return found

    def decide(self, subscription: Subscription, *, approve: bool) -> list[Subscription]:
        """The merchant approves (replacing the active plan) or declines a pending charge;
        returns every subscription whose status changed (each gets its webhook)."""
        with self.lock:
            if not approve:
                subscription.status = "DECLINED"
                return [subscription]
            # Only one recurring subscription is active per app: approving replaces it.
            replaced = [s for s in self.subscriptions if s.status == "ACTIVE"]
            for other in replaced:
                other.status = "CANCELLED"
            subscription.status = "ACTIVE"
            start = datetime.now(UTC) + timedelta(days=subscription.trial_days)
            subscription.current_period_end = start + BILLING_PERIOD[subscription.interval]
            return [subscription, *replaced]

    def by_gid(self, gid: str) -> Subscription | None:
        return next((s for s in self.subscriptions if s.gid == gid), None)


# --- Orders: orderCreate (over the Catalog's variants), search -------------------------------

DEV_STORE_ORDERS_PER_MINUTE = 5


def order_input_errors(order: Mapping[str, Any], known: set[str]) -> list[dict[str, Any]]:
    """orderCreate's userErrors for input the schema accepts but Shopify refuses."""
    items = order.get("lineItems") or []
    if not items:
        return [
            {
                "code": "INVALID",
                "field": ["order", "lineItems"],
                "message": "Line items must have at least one line item",
            }
        ]
    errors = []
    for index, item in enumerate(items):
        if item.get("variantId") and item["variantId"] not in known:
            errors.append(
                {
                    "code": "INVALID",
                    "field": ["order", "lineItems", str(index), "variantId"],
                    "message": "Variant does not exist",
                }
            )
        if int(item["quantity"]) < 1:
            errors.append(
                {
                    "code": "INVALID",
                    "field": ["order", "lineItems", str(index), "quantity"],
                    "message": "Quantity must be greater than or equal to 1",
                }
            )
    return errors


def order_node(order: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: order[key]
        for key in (
            "id",
            "name",
            "createdAt",
            "sourceIdentifier",
            "sourceName",
            "tags",
            "currencyCode",
        )
    }


# --- The Admin GraphQL API --------------------------------------------------------------------

Resolver = Callable[[ShopState, dict[str, Any]], Any]


@lru_cache(maxsize=4)
def load_published_schema(path: Path) -> graphql.GraphQLSchema | None:
    """Shopify's published Admin schema (introspection JSON), where the specs folder exists."""
    if not path.exists():
        return None
    with gzip.open(path) as fh:
        # Shopify's schema breaks graphql-core's own schema checks (implementations deprecate
        # fields their interfaces do not), so it is taken as valid, as Shopify serves it.
        return graphql.build_client_schema(json.load(fh)["data"], assume_valid=True)


@lru_cache(maxsize=1)
def simulated_schema() -> graphql.GraphQLSchema:
    return graphql.build_schema((ASSETS / "admin_subset.graphql").read_text())


@dataclass
class Operation:
    document: graphql.DocumentNode
    name: str | None
    variables: dict[str, Any]
    cost: int


class AdminApi:
    """Validates a document against the published schema (when present) and the simulated
    subset, prices it, and executes it with one resolver per root field."""

    def __init__(self, published: graphql.GraphQLSchema | None, resolvers: dict[str, Resolver]):
        self.published = published
        self.schema = simulated_schema()
        self.resolvers = resolvers

    def prepare(
        self, query: str, name: str | None, variables: dict[str, Any]
    ) -> Operation | list[Any]:
        """The operation ready to run, or the GraphQL errors that refuse it."""
        try:
            document = graphql.parse(query)
        except graphql.GraphQLError as error:
            return [error.formatted]
        if self.published is not None:
            errors = graphql.validate(self.published, document)
            if errors:
                return [e.formatted for e in errors]
        errors = graphql.validate(self.schema, document)
        if errors:
            return [
                {**e.formatted, "message": f"Not simulated by the sandbox: {e.message}"}
                for e in errors
            ]
        operation = graphql.get_operation_ast(document, name)
        if operation is None:
            return [{"message": "An operation name is required and must match the document"}]
        return Operation(
            document, name, variables, requested_cost(self.schema, document, operation, variables)
        )

    def execute(self, operation: Operation, state: ShopState) -> dict[str, Any]:
        root = {name: partial(_resolve, fn, state) for name, fn in self.resolvers.items()}
        result = graphql.execute_sync(
            self.schema,
            operation.document,
            root_value=root,
            variable_values=operation.variables,
            operation_name=operation.name,
        )
        return dict(result.formatted)


def _resolve(
    resolver: Resolver, state: ShopState, _info: graphql.GraphQLResolveInfo, **arguments: Any
) -> Any:
    return resolver(state, arguments)


def subscription_input_errors(arguments: Mapping[str, Any]) -> list[dict[str, Any]]:
    """appSubscriptionCreate's userErrors for input the schema accepts but Shopify refuses."""
    errors = []
    if not str(arguments.get("name", "")).strip():
        errors.append({"field": ["name"], "message": "Name can't be blank"})
    if urlsplit(str(arguments.get("returnUrl", ""))).scheme not in ("http", "https"):
        errors.append({"field": ["returnUrl"], "message": "Return url is invalid"})
    if (arguments.get("trialDays") or 0) < 0:
        errors.append({"field": ["trialDays"], "message": "Trial days must not be negative"})
    line_items = arguments.get("lineItems") or []
    if len(line_items) != 1:
        errors.append({"field": ["lineItems"], "message": "Exactly one line item is required"})
    for index, item in enumerate(line_items):
        errors.extend(_recurring_price_errors(item, index))
    return errors


def _recurring_price_errors(item: Mapping[str, Any], index: int) -> list[dict[str, Any]]:
    path = ["lineItems", str(index), "plan", "appRecurringPricingDetails"]
    details = item["plan"].get("appRecurringPricingDetails")
    if details is None:
        return [{"field": path, "message": "Recurring pricing details are required"}]
    try:
        amount = Decimal(str(details["price"]["amount"]))
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount > 0:
        return [{"field": [*path, "price", "amount"], "message": "Price must be greater than 0"}]
    return []


@dataclass(frozen=True)
class WebhookDelivery:
    event_id: str
    webhook_id: str
    status: int


# --- The simulator ----------------------------------------------------------------------------


class ShopifySimulator:
    prefix = "/shopify"

    def __init__(self, config: SandboxConfig):
        self.config = config
        # The admin page lives at /store/…, as on admin.shopify.com, outside the API prefix.
        self.extra_mounts = {"/store": self}
        self.api_version = config.extra.get("shopify_api_version", DEFAULT_API_VERSION)
        schema_path = Path(config.extra.get("shopify_admin_schema", PUBLISHED_SCHEMA))
        self.api = AdminApi(
            load_published_schema(schema_path),
            {
                "shop": self._shop_details,
                "currentAppInstallation": self._installation,
                "appSubscriptionCreate": self._create_subscription,
                "appSubscriptionCancel": self._cancel_subscription,
                "productVariants": lambda state, arguments: self.catalog.resolve_product_variants(
                    state.domain, arguments
                ),
                "orders": self._orders,
                "orderCreate": self._order_create,
            },
        )
        self.catalog = Catalog()
        self._lock = threading.Lock()
        self._shops: dict[str, ShopState] = {}
        self._numbers = itertools.count(1)
        self.url_map = Map(
            [
                Rule(
                    "/shopify/<shop>/admin/oauth/access_token",
                    methods=["POST"],
                    endpoint=self._access_token,
                ),
                Rule(
                    "/shopify/<shop>/admin/oauth/authorize",
                    methods=["GET"],
                    endpoint=self._authorize,
                ),
                Rule(
                    "/shopify/<shop>/admin/api/<version>/graphql.json",
                    methods=["POST"],
                    endpoint=self._graphql,
                ),
                Rule(
                    "/shopify/<shop>/admin/charges/<api_key>/<int:charge_id>/RecurringApplicationCharge"
                    "/confirm_recurring_application_charge",
                    methods=["GET", "POST"],
                    endpoint=self._confirm_charge,
                ),
                Rule(
                    "/shopify/_control/webhooks", methods=["POST"], endpoint=self._control_webhook
                ),
                Rule("/shopify/_control/shops", methods=["POST"], endpoint=self._control_shop),
                Rule(
                    "/shopify/_control/fulfillments",
                    methods=["POST"],
                    endpoint=self._control_fulfillment,
                ),
                Rule(
                    "/shopify/_control/inventory",
                    methods=["POST"],
                    endpoint=self._control_inventory,
                ),
                Rule(
                    "/shopify/_control/variants",
                    methods=["POST"],
                    endpoint=self._control_variants,
                ),
                Rule(
                    "/shopify/_control/subscriptions",
                    methods=["POST"],
                    endpoint=self._control_subscription,
                ),
                Rule("/shopify/cdn/<asset>", methods=["GET"], endpoint=self._asset),
                Rule("/store/<handle>/apps/<api_key>", methods=["GET"], endpoint=self._admin_page),
                Rule(
                    "/store/<handle>/apps/<api_key>/<path:path>",
                    methods=["GET"],
                    endpoint=self._admin_page,
                ),
                Rule(
                    "/store/<handle>/session-token", methods=["POST"], endpoint=self._session_token
                ),
            ]
        )

    # -- WSGI and hooks for tests --

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        adapter = self.url_map.bind(
            request.host, path_info=request.script_root + request.path, url_scheme=request.scheme
        )
        try:
            endpoint, arguments = adapter.match(method=request.method)
            if "shop" in arguments and not SHOP_RE.match(arguments["shop"]):
                raise NotFound("not a myshopify.com domain")
            response = endpoint(request, **arguments)
        except HTTPException as error:
            response = error.get_response(environ)
        return response(environ, start_response)

    def reset(self) -> None:
        self.catalog = Catalog()
        with self._lock:
            self._shops.clear()
            self._numbers = itertools.count(1)

    def shop(self, domain: str) -> ShopState:
        """The shop's state, created on first use with default details."""
        with self._lock:
            if domain not in self._shops:
                scope = self.config.extra.get("shopify_scopes", DEFAULT_SCOPES)
                self._shops[domain] = ShopState.new(domain, next(self._numbers), scope)
            return self._shops[domain]

    def expire_access_token(self, domain: str) -> None:
        self.shop(domain).expire_access_tokens()

    def fail_next(self, domain: str, count: int = 1, status: int = 503) -> None:
        """The shop's next `count` API requests (token endpoint or GraphQL) answer `status`."""
        state = self.shop(domain)
        with state.lock:
            state.failures.extend([status] * count)

    def set_rate_limit(self, domain: str, *, maximum: float, restore_rate: float) -> None:
        self.shop(domain).bucket = LeakyBucket(maximum, restore_rate)

    def add_variant(self, domain: str, sku: str, *, quantity: int = 10) -> Variant:
        """A product variant with this SKU and stock (at the default location) in the shop."""
        return self.catalog.add_variant(domain, sku=sku, available=quantity)

    def hold_order_answers(self, domain: str) -> threading.Event:
        """orderCreate keeps creating orders but answers only once the event is set: the
        window in which a worker can die after Shopify created the order."""
        gate = threading.Event()
        self.shop(domain).answer_gate = gate
        return gate

    def make_development_store(self, domain: str) -> None:
        self.shop(domain).development = True

    def fulfill(self, domain: str, order_gid: str, *, company: str, number: str) -> dict[str, Any]:
        """The merchant fulfils an order in the admin; returns the fulfillments/create payload
        (REST shape, https://shopify.dev/docs/api/admin-rest/latest/resources/fulfillment)
        for `send_webhook`."""
        state = self.shop(domain)
        order = next(o for o in state.orders if o["id"] == order_gid)
        order_id = int(order_gid.rsplit("/", 1)[1])
        fulfillment_id = order_id * 10 + len(order.setdefault("fulfillments", [])) + 1
        payload = {
            "id": fulfillment_id,
            "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fulfillment_id}",
            "order_id": order_id,
            "status": "success",
            "created_at": _iso(datetime.now(UTC)),
            "tracking_company": company,
            "tracking_number": number,
            "tracking_numbers": [number],
            "line_items": [
                {"id": order_id * 100 + i, "sku": item.get("sku"), "quantity": item["quantity"]}
                for i, item in enumerate(order["input"].get("lineItems") or [])
            ],
        }
        order["fulfillments"].append(payload)
        return payload

    def session_token(self, domain: str) -> str:
        return mint_session_token(
            domain, api_key=self.config.shopify_api_key, secret=self.config.shopify_api_secret
        )

    def send_webhook(
        self, shop: str, topic: str, payload: Mapping[str, Any], event_id: str | None = None
    ) -> WebhookDelivery:
        """POST one webhook to the app, signed and with the headers Shopify sends."""
        body = json.dumps(payload).encode()
        event_id, webhook_id = event_id or str(uuid.uuid4()), str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": webhook_hmac(body, self.config.shopify_api_secret),
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": shop,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Triggered-At": _iso(datetime.now(UTC)) or "",
        }
        response = requests.post(
            f"{self.config.app_url}/webhooks/shopify/", data=body, headers=headers, timeout=10
        )
        return WebhookDelivery(event_id, webhook_id, response.status_code)

    # -- OAuth --

    def _access_token(self, request: Request, shop: str) -> Response:
        form = request.form
        client_ok = form.get("client_id") == self.config.shopify_api_key and hmac.compare_digest(
            form.get("client_secret", "").encode(), self.config.shopify_api_secret.encode()
        )
        if not client_ok:
            return _oauth_error("invalid_client")
        state = self.shop(shop)
        if failure := _injected_failure(state):
            return failure
        # The authorization-code exchange carries no grant_type (Shopify's classic OAuth).
        grant = form.get("grant_type", "authorization_code")
        handlers = {
            TOKEN_EXCHANGE_GRANT: self._exchange_session_token,
            "refresh_token": self._refresh_token,
            "authorization_code": self._exchange_code,
        }
        handler = handlers.get(grant)
        return handler(state, form) if handler else _oauth_error("unsupported_grant_type")

    def _exchange_session_token(self, state: ShopState, form: Mapping[str, str]) -> Response:
        if form.get("subject_token_type") != ID_TOKEN_TYPE or (
            form.get("requested_token_type") != OFFLINE_TOKEN_TYPE
        ):
            return _oauth_error("invalid_request")
        named = session_token_shop(
            form.get("subject_token", ""),
            api_key=self.config.shopify_api_key,
            secret=self.config.shopify_api_secret,
        )
        if named != state.domain:
            return _oauth_error("invalid_subject_token")
        return _json(state.issue(TOKEN_EXCHANGE_GRANT, expiring=form.get("expiring") == "1"))

    def _refresh_token(self, state: ShopState, form: Mapping[str, str]) -> Response:
        body = state.refresh(form.get("refresh_token", ""))
        return _json(body) if body else _oauth_error("invalid_grant")

    def _exchange_code(self, state: ShopState, form: Mapping[str, str]) -> Response:
        if not state.spend_code(form.get("code", "")):
            return _oauth_error("invalid_grant")
        return _json(state.issue("authorization_code", expiring=form.get("expiring") == "1"))

    def _authorize(self, request: Request, shop: str) -> Response:
        """The grant screen, approved at once: back to the app with a signed code."""
        redirect_uri = request.args.get("redirect_uri", "")
        if request.args.get("client_id") != self.config.shopify_api_key:
            return Response("Unknown client_id", status=400)
        if not redirect_uri.startswith(f"{self.config.app_url}/"):
            return Response("The redirect_uri is not whitelisted", status=400)
        params = {
            "code": self.shop(shop).grant_code(request.args.get("scope", "")),
            "host": admin_host_param(self.config.base_url, shop.removesuffix(".myshopify.com")),
            "shop": shop,
            "state": request.args.get("state", ""),
            "timestamp": str(int(time.time())),
        }
        params["hmac"] = query_hmac(params, self.config.shopify_api_secret)
        return redirect(f"{redirect_uri}?{urlencode(params)}")

    # -- Admin GraphQL --

    def _graphql(self, request: Request, shop: str, version: str) -> Response:
        state = self.shop(shop)
        if failure := _injected_failure(state):
            return failure
        if not state.token_is_live(request.headers.get("X-Shopify-Access-Token", "")):
            return _json(INVALID_ACCESS_TOKEN, 401)
        body = request.get_json(silent=True) or {}
        if not isinstance(body.get("query"), str):
            return _json({"errors": {"query": "Required parameter missing or invalid"}}, 400)
        operation = self.api.prepare(
            body["query"], body.get("operationName"), body.get("variables") or {}
        )
        if not isinstance(operation, Operation):
            return _json({"errors": operation})
        if wait := _order_limit_wait(state, operation):
            # Development stores: 5 new orders a minute, refused with a 429 beyond that.
            response = _json({"errors": "Exceeded 5 orders per minute for this store"}, 429)
            response.headers["Retry-After"] = f"{wait:.0f}"
            return response
        if not state.bucket.take(operation.cost):
            with state.lock:
                state.throttled += 1
            return _json({"errors": [THROTTLED_ERROR], "extensions": _cost(operation, state, None)})
        result = self.api.execute(operation, state)
        return _json({**result, "extensions": _cost(operation, state, operation.cost)})

    def _shop_details(self, state: ShopState, _arguments: dict[str, Any]) -> dict[str, Any]:
        return {"id": state.gid, "myshopifyDomain": state.domain, **state.details}

    def _installation(self, state: ShopState, _arguments: dict[str, Any]) -> dict[str, Any]:
        active = [s.as_node() for s in state.subscriptions if s.status == "ACTIVE"]
        gid = f"gid://shopify/AppInstallation/{state.number}"
        return {"id": gid, "activeSubscriptions": active}

    def _orders(self, state: ShopState, arguments: dict[str, Any]) -> dict[str, Any]:
        terms = search_terms(arguments.get("query") or "")
        wanted = {"source_identifier": "sourceIdentifier", "name": "name"}
        with state.lock:
            found = [
                order_node(o)
                for o in state.orders
                if all(o[wanted[k]] == v for k, v in terms.items() if k in wanted)
            ]
        return connection(found, arguments)

    def _order_create(self, state: ShopState, arguments: dict[str, Any]) -> dict[str, Any]:
        order, options = arguments["order"], arguments.get("options") or {}
        known = {v.gid for v in self.catalog.variants(state.domain)}
        with state.lock:
            errors = order_input_errors(order, known)
            if errors:
                return {"order": None, "userErrors": errors}
            if options.get("inventoryBehaviour", "BYPASS") != "BYPASS":
                self._sell(state.domain, order["lineItems"])
            number = len(state.orders) + 1
            created = {
                "id": f"gid://shopify/Order/{state.number * 100000 + number}",
                "name": f"#{1000 + number}",
                "createdAt": _iso(datetime.now(UTC)),
                "sourceIdentifier": order.get("sourceIdentifier"),
                "sourceName": order.get("sourceName"),
                "tags": list(order.get("tags") or []),
                "currencyCode": order.get("currency") or state.details["currencyCode"],
                "input": order,
                "options": options,
            }
            state.orders.append(created)
            state.order_times.append(time.monotonic())
        if state.answer_gate is not None:
            state.answer_gate.wait(30)
        return {"order": order_node(created), "userErrors": []}

    def _sell(self, domain: str, items: list[dict[str, Any]]) -> None:
        """Take the items' stock; like the admin's changes, each new level is announced by an
        inventory_levels/update webhook, delivered after the order as Shopify's are
        (asynchronously, best effort: an app that does not answer misses it)."""
        sold = [
            self.catalog.sell(domain, item["variantId"], int(item["quantity"]))
            for item in items
            if item.get("variantId")
        ]
        payloads = [payload for payload in sold if payload]
        threading.Thread(target=self._announce_levels, args=(domain, payloads), daemon=True).start()

    def _announce_levels(self, domain: str, payloads: list[dict[str, Any]]) -> None:
        for payload in payloads:
            with contextlib.suppress(requests.RequestException):
                self.send_webhook(domain, "inventory_levels/update", payload)

    def _create_subscription(self, state: ShopState, arguments: dict[str, Any]) -> dict[str, Any]:
        errors = subscription_input_errors(arguments)
        if errors:
            return {"appSubscription": None, "confirmationUrl": None, "userErrors": errors}
        pricing = arguments["lineItems"][0]["plan"]["appRecurringPricingDetails"]
        with state.lock:
            subscription = Subscription(
                id=len(state.subscriptions) + 1,
                name=arguments["name"],
                return_url=arguments["returnUrl"],
                test=bool(arguments.get("test")),
                trial_days=arguments.get("trialDays") or 0,
                price=Decimal(str(pricing["price"]["amount"])),
                currency=pricing["price"]["currencyCode"],
                interval=pricing.get("interval") or "EVERY_30_DAYS",
            )
            state.subscriptions.append(subscription)
        return {
            "appSubscription": subscription.as_node(),
            "confirmationUrl": self._confirmation_url(state, subscription),
            "userErrors": [],
        }

    def _confirmation_url(self, state: ShopState, subscription: Subscription) -> str:
        return (
            f"{self.config.base_url}/shopify/{state.domain}/admin/charges/"
            f"{self.config.shopify_api_key}/{subscription.id}/RecurringApplicationCharge/"
            "confirm_recurring_application_charge"
        )

    def _confirm_charge(
        self, request: Request, shop: str, api_key: str, charge_id: int
    ) -> Response:
        """The merchant's approval page for a subscription; its POST approves or declines."""
        if api_key != self.config.shopify_api_key:
            raise NotFound("unknown app")
        state = self.shop(shop)
        subscription = state.subscription(charge_id)
        if request.method == "GET":
            return _page(
                "charge.html",
                shop=html.escape(shop),
                name=html.escape(subscription.name),
                price=f"{subscription.price} {subscription.currency}",
                interval=subscription.interval,
                trial_days=subscription.trial_days,
                status=subscription.status,
            )
        if subscription.status == "PENDING":
            changed = state.decide(subscription, approve=request.form.get("decision") == "approve")
            for each in changed:
                self._announce_subscription(state, each)
        return redirect(_with_query(subscription.return_url, charge_id=str(subscription.id)))

    def _cancel_subscription(self, state: ShopState, arguments: dict[str, Any]) -> dict[str, Any]:
        subscription = state.by_gid(str(arguments["id"]))
        if subscription is None or subscription.status not in ("ACTIVE", "FROZEN"):
            error = {"field": ["id"], "message": "Subscription not found or not active"}
            return {"appSubscription": None, "userErrors": [error]}
        with state.lock:
            subscription.status = "CANCELLED"
        self._announce_subscription(state, subscription)
        return {"appSubscription": subscription.as_node(), "userErrors": []}

    def set_subscription_status(self, domain: str, number: int, status: str) -> Subscription:
        """Shopify's side changes a subscription (the merchant uninstalls a charge, the store
        is frozen for unpaid bills, unfrozen): the status changes and the webhook goes out."""
        state = self.shop(domain)
        subscription = state.subscription(number)
        with state.lock:
            subscription.status = status
        self._announce_subscription(state, subscription)
        return subscription

    def _control_subscription(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        shop, number, status = body.get("shop"), body.get("id"), body.get("status")
        if not (isinstance(shop, str) and SHOP_RE.match(shop) and isinstance(number, int)):
            return _json({"error": "shop and id (a number) are required"}, 400)
        if status not in ("ACTIVE", "CANCELLED", "FROZEN", "EXPIRED"):
            return _json({"error": "status must be ACTIVE, CANCELLED, FROZEN or EXPIRED"}, 400)
        subscription = self.set_subscription_status(shop, number, status)
        return _json(subscription.as_node())

    def _announce_subscription(self, state: ShopState, subscription: Subscription) -> None:
        try:
            self.send_webhook(
                state.domain, "app_subscriptions/update", subscription.as_webhook(state.gid)
            )
        except requests.RequestException as error:
            log.warning("app_subscriptions/update not delivered: %s", error)

    # -- Webhooks over HTTP, for the demo and other processes --

    def _control_webhook(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        shop, topic, payload = body.get("shop"), body.get("topic"), body.get("payload")
        if not (
            isinstance(shop, str)
            and SHOP_RE.match(shop)
            and isinstance(topic, str)
            and topic
            and isinstance(payload, dict)
        ):
            return _json({"error": "shop, topic and payload (an object) are required"}, 400)
        try:
            delivery = self.send_webhook(shop, topic, payload, body.get("event_id"))
        except requests.RequestException as error:
            return _json({"error": f"the app did not answer: {error}"}, 502)
        return _json(
            {
                "event_id": delivery.event_id,
                "webhook_id": delivery.webhook_id,
                "status": delivery.status,
            }
        )

    # -- Inventory (listing sync): a merchant changes a quantity in the admin --

    def set_available(
        self, shop: str, inventory_item_id: int, available: int, location_id: int = 1001
    ) -> WebhookDelivery | None:
        """Change a quantity and send inventory_levels/update, as the admin does."""
        payload = self.catalog.set_available(shop, inventory_item_id, location_id, available)
        return self.send_webhook(shop, "inventory_levels/update", payload) if payload else None

    def _control_variants(self, request: Request) -> Response:
        """POST {shop, sku, price, available}: a product variant in the shop (demo seeding)."""
        body = request.get_json(silent=True) or {}
        if not SHOP_RE.match(str(body.get("shop", ""))) or not body.get("sku"):
            return _json({"error": "shop and sku are required"}, 400)
        variant = self.catalog.stocked(
            body["shop"],
            str(body["sku"]),
            price=str(body.get("price", "19.99")),
            available=int(body.get("available", 0)),
            title=str(body.get("title", "Default")),
        )
        return _json(variant.as_rest())

    def _control_inventory(self, request: Request) -> Response:
        """POST {shop, inventory_item_id, available[, location_id]} or {shop, sku, …}."""
        body = request.get_json(silent=True) or {}
        shop = str(body.get("shop", ""))
        variant = next(
            (
                v
                for v in self.catalog.variants(shop)
                if v.inventory_item_id == body.get("inventory_item_id") or v.sku == body.get("sku")
            ),
            None,
        )
        if variant is None or not isinstance(body.get("available"), int):
            return _json({"error": "shop, a known sku or inventory_item_id and available"}, 400)
        if body.get("notify") is False:  # seeding, before the app runs
            location = int(body.get("location_id", 1001))
            self.catalog.set_available(shop, variant.inventory_item_id, location, body["available"])
            return _json({"status": None, "variant": variant.as_rest()})
        try:
            delivery = self.set_available(
                shop,
                variant.inventory_item_id,
                body["available"],
                int(body.get("location_id", 1001)),
            )
        except requests.RequestException as error:
            return _json({"error": f"the app did not answer: {error}"}, 502)
        return _json(
            {"status": delivery.status if delivery else None, "variant": variant.as_rest()}
        )

    def _control_shop(self, request: Request) -> Response:
        """The demo's store: accept its offline token, stock its variants, and (optionally)
        make it a development store. JSON: shop, access_token, variants [{sku, quantity}]."""
        body = request.get_json(silent=True) or {}
        shop, token = body.get("shop"), body.get("access_token")
        if not (isinstance(shop, str) and SHOP_RE.match(shop) and isinstance(token, str)):
            return _json({"error": "shop and access_token are required"}, 400)
        state = self.shop(shop)
        with state.lock:
            state.access_tokens[token] = None
            state.development = bool(body.get("development"))
        stocked = [
            self.catalog.stocked(
                shop, str(variant["sku"]), available=int(variant.get("quantity", 10))
            ).as_rest()
            for variant in body.get("variants") or []
        ]
        return _json({"variants": stocked})

    def _control_fulfillment(self, request: Request) -> Response:
        """The merchant fulfils an order: the fulfillments/create payload, and its webhook to
        the app unless `send` is false. JSON: shop, order_id (gid), company, number[, send]."""
        body = request.get_json(silent=True) or {}
        shop, order_id = str(body.get("shop", "")), str(body.get("order_id", ""))
        state = self.shop(shop) if SHOP_RE.match(shop) else None
        if state is None or not any(o["id"] == order_id for o in state.orders):
            return _json({"error": "unknown shop or order"}, 404)
        payload = self.fulfill(
            shop, order_id, company=str(body.get("company", "")), number=str(body.get("number", ""))
        )
        if body.get("send", True):
            try:
                self.send_webhook(shop, "fulfillments/create", payload)
            except requests.RequestException as error:
                return _json({"error": f"the app did not answer: {error}"}, 502)
        return _json(payload)

    # -- The admin page and App Bridge stand-in --

    def _asset(self, request: Request, asset: str) -> Response:
        if asset not in ASSET_TYPES:
            raise NotFound(asset)
        return Response((ASSETS / asset).read_bytes(), mimetype=ASSET_TYPES[asset])

    def _admin_page(self, request: Request, handle: str, api_key: str, path: str = "") -> Response:
        """The admin framing the app, with the launch parameters Shopify signs into its URL."""
        shop = f"{handle}.myshopify.com"
        if api_key != self.config.shopify_api_key or not SHOP_RE.match(shop):
            raise NotFound("no such app in this store")
        # Like the real admin, the page's own query reaches the app, plus the launch parameters.
        params = {
            **request.args.to_dict(),
            "embedded": "1",
            "host": admin_host_param(request.host_url, handle),
            "id_token": self.session_token(shop),
            "locale": request.args.get("locale", "en"),
            "shop": shop,
            "timestamp": str(int(time.time())),
        }
        params["hmac"] = query_hmac(params, self.config.shopify_api_secret)
        app_src = f"{self.config.app_url}/{path}?{urlencode(params)}"
        app_origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.config.app_url))
        return _page(
            "admin.html",
            shop=html.escape(shop),
            app_src=html.escape(app_src),
            app_origin=html.escape(app_origin),
            token_url=html.escape(f"/store/{handle}/session-token"),
        )

    def _session_token(self, request: Request, handle: str) -> Response:
        """What the admin page asks for whenever App Bridge in the frame needs a fresh token."""
        shop = f"{handle}.myshopify.com"
        if not SHOP_RE.match(shop):
            raise NotFound("no such store")
        response = _json({"token": self.session_token(shop)})
        response.headers["Cache-Control"] = "no-store"
        return response


def _creates_order(operation: Operation) -> bool:
    definition = graphql.get_operation_ast(operation.document, operation.name)
    return definition is not None and any(
        isinstance(node, graphql.FieldNode) and node.name.value == "orderCreate"
        for node in definition.selection_set.selections
    )


def _order_limit_wait(state: ShopState, operation: Operation) -> float:
    """Seconds until a development store may create an order again (0: now)."""
    if not state.development or not _creates_order(operation):
        return 0.0
    now = time.monotonic()
    with state.lock:
        recent = [t for t in state.order_times if now - t < 60]
        state.order_times = recent
        if len(recent) < DEV_STORE_ORDERS_PER_MINUTE:
            return 0.0
        return max(1.0, 60 - (now - recent[0]))


def _injected_failure(state: ShopState) -> Response | None:
    status = state.next_failure()
    message = {402: "Unavailable Shop", 400: "Bad Request"}.get(status or 0, "Service unavailable")
    return _json({"errors": message}, status) if status else None


def _oauth_error(code: str) -> Response:
    return _json({"error": code}, 400)


def _cost(operation: Operation, state: ShopState, actual: int | None) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": operation.cost,
            "actualQueryCost": actual,
            "throttleStatus": state.bucket.status(),
        }
    }


def _page(template: str, **values: object) -> Response:
    text = Template((ASSETS / template).read_text()).substitute(values)
    return Response(text, mimetype="text/html")
