"""Vendor failures in the merchant's language: what happened and what to do.

The marketplaces and Shopify answer in English and in their own terms ("invalid_grant",
"CompleteSale: …"). Everything a merchant sees of such a failure goes through `explain()`:
a translated, actionable sentence, with the vendor's raw message kept as a detail line.
Order, fulfillment and listing errors use the same function with their `kind`.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(StrEnum):
    """Where the failure happened: picks the fallback sentence when no rule matches."""

    ACCOUNT = "account"
    ORDER = "order"
    FULFILLMENT = "fulfillment"
    LISTING = "listing"
    SHOPIFY = "shopify"


@dataclass(frozen=True)
class Explained:
    sentence: str  # translated: what happened and what to do
    detail: str  # the vendor's own words, shown as a secondary line


# First match wins; patterns match the messages our adapters and clients raise
# (accounts/marketplaces/*, salestio/shopify_api.py) and the vendors' texts they carry.
RULES: list[tuple[re.Pattern[str], Promise]] = [
    (
        re.compile(r"invalid_grant|refused the login|revoked|reports the token as|expired", re.I),
        _(
            "The marketplace no longer accepts Salestio's access. Open the account and press "
            "Save account to log in to the marketplace again."
        ),
    ),
    (
        re.compile(r"\b403\b|Unauthorized|access denied|roles?\b", re.I),
        _(
            "The marketplace refused Salestio access. Check in the marketplace's seller "
            "portal that Salestio is allowed, then press Save account on the account."
        ),
    ),
    (
        re.compile(r"\b429\b|throttl|rate limit|quota", re.I),
        _(
            "The marketplace asked Salestio to slow down. Nothing to do: Salestio tries again "
            "by itself."
        ),
    ),
    (
        re.compile(r"unreachable|timed? ?out|\b50[234]\b|unreadable|connection", re.I),
        _("The marketplace could not be reached. Salestio keeps trying by itself."),
    ),
    (
        re.compile(r"\bSKU\b.*\b(not|no)\b|no Shopify variant|variant .*not found", re.I),
        _(
            "No Shopify product has this SKU. Map the marketplace SKU to a Shopify SKU under "
            "Orders > SKU mapping; the order is then imported again by itself."
        ),
    ),
    (
        re.compile(r"tracking|carrier|CompleteSale|confirm_?shipment|ReceiptShipment", re.I),
        _(
            "The marketplace did not accept the shipment. Check the carrier and tracking "
            "number of the fulfillment in Shopify; Salestio sends it again after a change."
        ),
    ),
    (
        re.compile(r"quantity|price|inventory|listing", re.I),
        _(
            "The marketplace did not accept the listing's quantity or price. Correct the "
            "product in Shopify or on the marketplace, then press Update on the listing."
        ),
    ),
    (
        re.compile(r"\b402\b|\b423\b|frozen|locked|payment required", re.I),
        _(
            "Shopify refused the request because the store is frozen or locked. Settle the "
            "store's status in Shopify; Salestio carries on once Shopify accepts it."
        ),
    ),
]

FALLBACK: dict[Kind, Promise] = {
    Kind.ACCOUNT: _(
        "The marketplace reported a problem with this account. If it persists, open the "
        "account and press Save account to log in again."
    ),
    Kind.ORDER: _(
        "The order could not be created in Shopify. Check the message below, fix the cause, "
        "then press Retry export on the order."
    ),
    Kind.FULFILLMENT: _(
        "The shipment could not be sent to the marketplace. Check the order's fulfillment in "
        "Shopify; Salestio sends it again after a change."
    ),
    Kind.LISTING: _(
        "The listing could not be updated on the marketplace. Fix the cause, then press "
        "Update on the listing."
    ),
    Kind.SHOPIFY: _("Shopify reported an error. Salestio tries again by itself."),
}


# Notification categories (notifications.models.Category values) and the kind of their errors.
CATEGORY_KINDS = {
    "order_import_failed": Kind.ORDER,
    "fulfillment_failed": Kind.FULFILLMENT,
    "listing_update_failed": Kind.LISTING,
}


def kind_of(name: str) -> Kind:
    """A Kind value or a notification category, as templates pass either."""
    if name in CATEGORY_KINDS:
        return CATEGORY_KINDS[name]
    return Kind(name) if name in {kind.value for kind in Kind} else Kind.ACCOUNT


def explain(raw: str, *, kind: Kind = Kind.ACCOUNT) -> Explained:
    """The merchant's sentence for a vendor message (in the active language) and the
    message itself as the detail. An empty message explains nothing."""
    if not raw:
        return Explained("", "")
    for pattern, sentence in RULES:
        if pattern.search(raw):
            return Explained(str(sentence), raw)
    return Explained(str(FALLBACK[kind]), raw)
