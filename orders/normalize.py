"""Each marketplace's order, as the adapters return it, turned into one normalized order.

Field names follow the vendors' documents:
- Amazon Orders v0 Order / OrderItem
  (https://developer-docs.amazon.com/sp-api/docs/orders-api-v0-reference);
- eBay Trading GetOrders OrderType / TransactionType
  (https://developer.ebay.com/devzone/xml/docs/reference/ebay/GetOrders.html);
- Etsy getShopReceipts ShopReceipt / ShopReceiptTransaction
  (https://developers.etsy.com/documentation/reference#operation/getShopReceipts).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from accounts.marketplaces import RemoteOrder
from accounts.marketplaces.base import from_epoch, from_iso, reading

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    line_id: str
    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    tax: Decimal = Decimal("0")


@dataclass(frozen=True)
class NormalizedOrder:
    order_id: str
    status: str
    updated_at: datetime
    ordered_at: datetime | None
    currency: str
    total: Decimal
    lines: tuple[Line, ...]
    buyer_name: str = ""
    buyer_email: str = ""
    address: dict[str, str] = field(default_factory=dict)
    shipping_title: str = ""
    shipping: Decimal = Decimal("0")
    shipping_tax: Decimal = Decimal("0")

    def details(self) -> dict[str, Any]:
        """What the order row keeps besides its items (JSON-safe)."""
        return {
            "buyer_email": self.buyer_email,
            "address": self.address,
            "shipping_title": self.shipping_title,
            "shipping": str(self.shipping),
            "shipping_tax": str(self.shipping_tax),
        }


def money(value: Any) -> Decimal:
    """An amount in any of the vendors' shapes: "19.99", 19.99, ebaysdk's {"value": …},
    Amazon's {"Amount": …}, Etsy's {"amount": 1999, "divisor": 100}."""
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, Mapping):
        if "divisor" in value:
            return (Decimal(value["amount"]) / Decimal(value["divisor"] or 1)).quantize(CENT)
        value = value.get("Amount", value.get("value", "0"))
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def _currency(value: Any, default: str = "") -> str:
    if isinstance(value, Mapping):
        return str(
            value.get("CurrencyCode") or value.get("_currencyID") or value.get("currency_code")
        )
    return default


def _as_list(value: Any) -> list[Any]:
    """ebaysdk gives one child as a dict and several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else ("", last)


def _address(name: str, **parts: Any) -> dict[str, str]:
    first, last = _split_name(name or "")
    found = {"firstName": first, "lastName": last, **{k: str(v) for k, v in parts.items() if v}}
    return {k: v for k, v in found.items() if v}


# --- Amazon -----------------------------------------------------------------------------------


def amazon_order(remote: RemoteOrder, items: list[dict[str, Any]]) -> NormalizedOrder:
    raw = remote.raw
    with reading("Amazon"):
        lines = tuple(_amazon_line(item) for item in items)
        shipping = sum((money(i.get("ShippingPrice")) for i in items), Decimal("0"))
        shipping_tax = sum((money(i.get("ShippingTax")) for i in items), Decimal("0"))
        address = raw.get("ShippingAddress") or {}
        buyer = raw.get("BuyerInfo") or {}
        return NormalizedOrder(
            order_id=remote.order_id,
            status=remote.status,
            updated_at=remote.updated_at,
            ordered_at=from_iso(raw["PurchaseDate"]) if raw.get("PurchaseDate") else None,
            currency=_currency(raw.get("OrderTotal")) or "EUR",
            total=money(raw.get("OrderTotal")),
            lines=lines,
            buyer_name=str(buyer.get("BuyerName") or address.get("Name") or ""),
            buyer_email=str(buyer.get("BuyerEmail") or ""),
            address=_address(
                str(address.get("Name") or ""),
                address1=address.get("AddressLine1"),
                address2=address.get("AddressLine2"),
                city=address.get("City"),
                zip=address.get("PostalCode"),
                provinceCode=address.get("StateOrRegion"),
                countryCode=address.get("CountryCode"),
                phone=address.get("Phone"),
            ),
            shipping_title=str(raw.get("ShipServiceLevel") or "Amazon shipping"),
            shipping=shipping,
            shipping_tax=shipping_tax,
        )


def _amazon_line(item: Mapping[str, Any]) -> Line:
    quantity = int(item["QuantityOrdered"])
    # ItemPrice is the line's total (price × quantity), as Amazon documents it.
    line_total = money(item.get("ItemPrice"))
    return Line(
        line_id=str(item["OrderItemId"]),
        sku=str(item.get("SellerSKU") or item.get("ASIN") or ""),
        title=str(item.get("Title") or item.get("SellerSKU") or ""),
        quantity=quantity,
        unit_price=(line_total / quantity).quantize(CENT) if quantity else line_total,
        tax=money(item.get("ItemTax")),
    )


# --- eBay -------------------------------------------------------------------------------------


def ebay_order(remote: RemoteOrder) -> NormalizedOrder:
    raw = remote.raw
    with reading("eBay"):
        transactions = _as_list((raw.get("TransactionArray") or {}).get("Transaction"))
        address = raw.get("ShippingAddress") or {}
        service = raw.get("ShippingServiceSelected") or {}
        total = raw.get("Total") or raw.get("AmountPaid")
        return NormalizedOrder(
            order_id=remote.order_id,
            status=remote.status,
            updated_at=remote.updated_at,
            ordered_at=from_iso(str(raw["CreatedTime"])) if raw.get("CreatedTime") else None,
            currency=_currency(total) or _currency(raw.get("Subtotal")) or "EUR",
            total=money(total),
            lines=tuple(_ebay_line(t) for t in transactions),
            buyer_name=str(address.get("Name") or ""),
            buyer_email=str((transactions[0].get("Buyer") or {}).get("Email") or "")
            if transactions
            else "",
            address=_address(
                str(address.get("Name") or ""),
                address1=address.get("Street1"),
                address2=address.get("Street2"),
                city=address.get("CityName"),
                zip=address.get("PostalCode"),
                provinceCode=address.get("StateOrProvince"),
                countryCode=address.get("Country"),
                phone=address.get("Phone"),
            ),
            shipping_title=str(service.get("ShippingService") or "eBay shipping"),
            shipping=money(service.get("ShippingServiceCost")),
        )


def _ebay_line(transaction: Mapping[str, Any]) -> Line:
    item = transaction.get("Item") or {}
    variation = transaction.get("Variation") or {}
    taxes = transaction.get("Taxes") or {}
    return Line(
        line_id=str(transaction.get("OrderLineItemID") or transaction.get("TransactionID")),
        sku=str(variation.get("SKU") or item.get("SKU") or ""),
        title=str(item.get("Title") or ""),
        quantity=int(transaction["QuantityPurchased"]),
        unit_price=money(transaction.get("TransactionPrice")),
        tax=money(taxes.get("TotalTaxAmount")),
    )


# --- Etsy -------------------------------------------------------------------------------------


def etsy_order(remote: RemoteOrder) -> NormalizedOrder:
    raw = remote.raw
    with reading("Etsy"):
        transactions = raw.get("transactions") or []
        subtotal = money(raw.get("subtotal"))
        tax_total = money(raw.get("total_tax_cost")) + money(raw.get("total_vat_cost"))
        return NormalizedOrder(
            order_id=remote.order_id,
            status=remote.status,
            updated_at=remote.updated_at,
            ordered_at=from_epoch(raw["create_timestamp"]) if raw.get("create_timestamp") else None,
            currency=_currency(raw.get("grandtotal")) or "EUR",
            total=money(raw.get("grandtotal")),
            lines=tuple(_etsy_line(t, subtotal, tax_total) for t in transactions),
            buyer_name=str(raw.get("name") or ""),
            buyer_email=str(raw.get("buyer_email") or ""),
            address=_address(
                str(raw.get("name") or ""),
                address1=raw.get("first_line"),
                address2=raw.get("second_line"),
                city=raw.get("city"),
                zip=raw.get("zip"),
                provinceCode=raw.get("state"),
                countryCode=raw.get("country_iso"),
            ),
            shipping_title="Etsy shipping",
            shipping=money(raw.get("total_shipping_cost")),
        )


def _etsy_line(transaction: Mapping[str, Any], subtotal: Decimal, tax_total: Decimal) -> Line:
    quantity = int(transaction["quantity"])
    unit_price = money(transaction.get("price"))
    # Etsy reports tax per receipt; each line carries its share of the subtotal.
    share = (unit_price * quantity / subtotal) if subtotal else Decimal("0")
    return Line(
        line_id=str(transaction["transaction_id"]),
        sku=str(transaction.get("sku") or ""),
        title=str(transaction.get("title") or ""),
        quantity=quantity,
        unit_price=unit_price,
        tax=(tax_total * share).quantize(CENT),
    )


NORMALIZERS: dict[str, Callable[[RemoteOrder], NormalizedOrder]] = {
    "ebay": ebay_order,
    "etsy": etsy_order,
}
