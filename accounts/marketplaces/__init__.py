"""The marketplace adapters: one module per marketplace, one interface, one registry."""

from typing import TYPE_CHECKING

from accounts.marketplaces.amazon import AmazonAdapter
from accounts.marketplaces.base import (
    RETRYABLE,
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
    ShipmentLine,
    Throttled,
    TransientError,
    UnreadableResponse,
)
from accounts.marketplaces.ebay import EbayAdapter
from accounts.marketplaces.etsy import EtsyAdapter

if TYPE_CHECKING:
    from accounts.models import Account

ADAPTERS: dict[str, type[Adapter]] = {
    adapter.marketplace: adapter for adapter in (AmazonAdapter, EbayAdapter, EtsyAdapter)
}


def adapter_for(account: "Account") -> Adapter:
    return ADAPTERS[account.marketplace](account)


__all__ = [
    "ADAPTERS",
    "RETRYABLE",
    "AccessTokenRejected",
    "Adapter",
    "ConnectionExpired",
    "ConsentRequest",
    "Grant",
    "ListingResult",
    "ListingUpdate",
    "MarketplaceError",
    "PermanentError",
    "RemoteListing",
    "RemoteOrder",
    "Shipment",
    "ShipmentLine",
    "Throttled",
    "TransientError",
    "UnreadableResponse",
    "adapter_for",
]
