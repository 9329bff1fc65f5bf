"""The adapter interface every marketplace implements, and its one exception family.

Like healthchecks' transports: each adapter speaks to one marketplace through that
marketplace's own client library and turns every failure into one of four exceptions, so
callers decide by kind (expired, throttled, transient, permanent), never by vendor.
"""

import base64
import hashlib
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import requests
from django.conf import settings
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import Account


class MarketplaceError(Exception):
    """Base of every adapter failure; the message is fit to show the merchant."""


class ConnectionExpired(MarketplaceError):
    """The marketplace no longer accepts this connection: only a new login fixes it."""


class AccessTokenRejected(ConnectionExpired):
    """The access token was refused; a refresh may fix it, a second refusal means expired."""


class Throttled(MarketplaceError):
    """429 or a quota: try again later."""


class TransientError(MarketplaceError):
    """Timeouts, connection errors, 5xx: try again later."""


class PermanentError(MarketplaceError):
    """Any other refusal (4xx): retrying the same request will not help."""


class UnreadableResponse(PermanentError):
    """The marketplace answered data we cannot interpret (a shape or value we do not handle);
    asking again returns the same data."""


RETRYABLE = (Throttled, TransientError)


@dataclass(frozen=True)
class Grant:
    """Credentials from a login or a refresh. Empty fields keep what the account has."""

    access_token: str
    access_expires_at: datetime | None
    refresh_token: str = ""
    reauthorize_by: datetime | None = None
    external_id: str = ""


@dataclass(frozen=True)
class RemoteOrder:
    order_id: str
    status: str
    updated_at: datetime
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ShipmentLine:
    line_id: str
    quantity: int


@dataclass(frozen=True)
class Shipment:
    order_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime
    lines: tuple[ShipmentLine, ...] = ()
    # Identifies this package among the order's packages (Amazon's packageReferenceId: a
    # positive number). Empty: derived from the tracking number, so a retry sends the same id.
    package_id: str = ""


@dataclass(frozen=True)
class ListingUpdate:
    sku: str
    quantity: int
    listing_id: str = ""
    price: Decimal | None = None
    product_type: str = "PRODUCT"
    # ISO 4217 code of `price` (Amazon's offer names its currency).
    currency: str = ""


@dataclass(frozen=True)
class ConsentRequest:
    """What a login needs besides the account: the signed state, the PKCE pair, and the
    marketplace/site the login is for (Save account may be changing it)."""

    state: str
    redirect_uri: str
    code_verifier: str = ""
    site: str = ""

    @property
    def code_challenge(self) -> str:
        digest = hashlib.sha256(self.code_verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_code_verifier() -> str:
    """RFC 7636: 43–128 characters of the unreserved set."""
    return secrets.token_urlsafe(48)


def expires_in(seconds: int | str | None) -> datetime | None:
    return timezone.now() + timedelta(seconds=int(seconds)) if seconds else None


def oauth_failure(marketplace: str, status: int, error: str, description: str) -> MarketplaceError:
    """An OAuth token endpoint's refusal as one of our exceptions (RFC 6749 §5.2)."""
    detail = f"{marketplace} refused the login ({error or status}): {description or 'no detail'}"
    if error == "invalid_grant":
        return ConnectionExpired(detail)
    if status == 0:  # no HTTP answer at all
        return TransientError(detail)
    return _failure_by_status(status, detail)


# The earliest instant Etsy accepts or sends as a timestamp (its spec's `minimum: 946684800`).
EARLIEST_TIMESTAMP = 946684800
PARSING_ERRORS = (
    AttributeError,
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    ArithmeticError,
    OSError,
)


@contextmanager
def reading(marketplace: str) -> Iterator[None]:
    """Interpreting a marketplace's answer: what we cannot read becomes UnreadableResponse, so
    every failure stays in this module's exception family."""
    try:
        yield
    except PARSING_ERRORS as exc:
        raise UnreadableResponse(f"{marketplace} answered data we cannot read: {exc!r}") from exc


def from_epoch(seconds: int | float) -> datetime:
    """A Unix timestamp as an aware datetime; beyond year 9999 raises (see `reading`)."""
    return datetime.fromtimestamp(seconds, tz=UTC)


def from_iso(value: str) -> datetime:
    """An ISO 8601 date-time with `Z` or an offset, as an aware datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"date-time without a time zone: {value!r}")
    return parsed


def rfc3339(moment: datetime) -> str:
    """RFC 3339 `date-time` in UTC (OpenAPI's format). A naive datetime is taken in the
    project's time zone, as Django treats naive datetimes."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def http_failure(marketplace: str, status: int, detail: str) -> MarketplaceError:
    """A non-OAuth API refusal by HTTP status; auth failures are mapped by each adapter."""
    return _failure_by_status(status, f"{marketplace} answered {status}: {detail}")


def _failure_by_status(status: int, message: str) -> MarketplaceError:
    if status == 429:
        return Throttled(message)
    if status >= 500:
        return TransientError(message)
    return PermanentError(message)


def post_token_form(
    marketplace: str, url: str, form: Mapping[str, str], **kwargs: Any
) -> dict[str, Any]:
    """POST to an OAuth token endpoint with `requests` (eBay and Etsy share this seam)."""
    try:
        response = requests.post(
            url, data=form, timeout=settings.MARKETPLACE_HTTP_TIMEOUT, **kwargs
        )
    except requests.RequestException as exc:
        raise TransientError(f"{marketplace} login service unreachable: {exc}") from exc
    body = json_or_empty(response)
    if response.status_code != 200:
        raise oauth_failure(
            marketplace,
            response.status_code,
            str(body.get("error", "")),
            str(body.get("error_description", "")),
        )
    return body


def json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class Adapter(ABC):
    """One marketplace connection. Subclasses register in accounts.marketplaces.ADAPTERS."""

    marketplace: ClassVar[str]
    display_name: ClassVar[str]

    def __init__(self, account: "Account"):
        self.account = account

    @classmethod
    @abstractmethod
    def consent_url(cls, account: "Account", consent: ConsentRequest) -> str:
        """The marketplace's login/consent page for a top-level browser navigation."""

    @abstractmethod
    def exchange_code(self, params: Mapping[str, str], consent: ConsentRequest) -> Grant:
        """Turn the callback's authorization code into credentials."""

    @abstractmethod
    def refresh_credentials(self) -> Grant:
        """A fresh access token (Etsy also rotates the refresh token)."""

    @abstractmethod
    def check_connection(self) -> None:
        """One cheap authenticated call; raises if the connection is not usable."""

    @abstractmethod
    def fetch_orders(self, since: datetime) -> list[RemoteOrder]:
        """Orders created or changed since the cursor."""

    @abstractmethod
    def push_fulfillment(self, shipment: Shipment) -> None:
        """Send tracking back to the marketplace."""

    @abstractmethod
    def update_listing(self, update: ListingUpdate) -> None:
        """Set a listing's quantity (and price where given)."""

    def update_listings(self, updates: Sequence[ListingUpdate]) -> list["ListingResult"]:
        """Several listings in as few calls as the marketplace allows, one result each."""
        return one_by_one(self, updates)

    @abstractmethod
    def discover_listings(self, skus: Sequence[str]) -> list["RemoteListing"]:
        """The account's active listings; `skus` are the shop's SKUs, for marketplaces that
        can only be asked SKU by SKU (Amazon)."""

    def refresh_due_at(self) -> datetime | None:
        """When the stored access token must be refreshed (None: the library does it)."""
        expires = self.account.access_token_expires_at
        return expires - settings.ACCOUNT_TOKEN_REFRESH_MARGIN if expires else None


# --- Listing sync (listings app): batch pushes and discovery ----------------------------------


@dataclass(frozen=True)
class ListingResult:
    """One update's outcome in a batch: no error means the marketplace took it."""

    update: ListingUpdate
    error: MarketplaceError | None = None


@dataclass(frozen=True)
class RemoteListing:
    """A listing as the marketplace reports it; `remote_key` is unique per account."""

    remote_key: str
    sku: str
    item_id: str = ""
    title: str = ""
    quantity: int | None = None
    price: Decimal | None = None
    active: bool = True
    asin: str = ""
    product_id: str = ""
    offering_id: str = ""
    product_type: str = ""


def one_by_one(adapter: "Adapter", updates: Sequence[ListingUpdate]) -> list[ListingResult]:
    """One call per update, each failing alone; a refused token stops the run (the caller
    refreshes and repeats it, which is safe: the updates set absolute values)."""
    results = []
    for update in updates:
        try:
            adapter.update_listing(update)
        except ConnectionExpired:
            raise
        except MarketplaceError as exc:
            results.append(ListingResult(update, exc))
        else:
            results.append(ListingResult(update))
    return results
