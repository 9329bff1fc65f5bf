"""The eBay simulator's XML held to eBay's Trading API call reference (eBay has no OpenAPI file
for it): every element the simulator answers and the adapter sends is a documented field of its
type (sandbox/specs/ebay/call_reference.json, copied from the reference's type pages), and
eBay's own documented samples (sandbox/specs/ebay/*.xml) hold both sides to the same shape."""

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import pytest

from accounts.marketplaces import (
    ConnectionExpired,
    ListingUpdate,
    Shipment,
    adapter_for,
)
from sandbox.specs import SPECS_DIR

pytestmark = pytest.mark.django_db
EBAY = SPECS_DIR / "ebay"
REFERENCE = json.loads((EBAY / "call_reference.json").read_text())
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def tree(xml: bytes | str) -> ElementTree.Element:
    root = ElementTree.fromstring(xml)
    for element in root.iter():
        element.tag = element.tag.split("}", 1)[-1]
    return root


def fields_of(type_name: str) -> tuple[set[str], dict[str, str]]:
    declared = REFERENCE["types"][type_name]
    fields, children = set(declared["fields"]), dict(declared.get("children", {}))
    if "extends" in declared:
        base_fields, base_children = fields_of(declared["extends"])
        fields |= base_fields
        children |= base_children | REFERENCE["abstract_children"]
    return fields, children


def undocumented(element: ElementTree.Element, type_name: str, path: str = "") -> Iterator[str]:
    """Paths of elements that are not a field of their parent's documented type."""
    fields, children = fields_of(type_name)
    for child in element:
        where = f"{path}/{child.tag}"
        if child.tag not in fields:
            yield where
        elif child.tag in children:
            yield from undocumented(child, children[child.tag], where)


def paths(element: ElementTree.Element, prefix: str = "") -> set[str]:
    found = set()
    for child in element:
        found |= {f"{prefix}/{child.tag}"} | paths(child, f"{prefix}/{child.tag}")
    return found


def trading_calls(sims: Any) -> list[ElementTree.Element]:
    return [tree(r.data) for r in sims.ebay.received_at("/ws/api.dll", "POST")]


@pytest.fixture
def ebay_adapter(connect: Any, shop: Any, sims: Any) -> Any:
    account = connect(shop, "ebay")
    sims.ebay.add_order(account.external_id, "11-1111")
    return adapter_for(account)


def exercise(adapter: Any) -> None:
    adapter.check_connection()
    adapter.fetch_orders(SINCE)
    adapter.push_fulfillment(Shipment("11-1111", "DHL", "00340434", datetime(2026, 3, 1, 14, 30)))
    adapter.update_listing(ListingUpdate(sku="SKU-1", quantity=2))


def test_every_element_the_adapter_sends_is_documented(ebay_adapter: Any, sims: Any) -> None:
    exercise(ebay_adapter)
    sent = trading_calls(sims)
    assert {request.tag for request in sent} >= {
        "GetTokenStatusRequest",
        "GetOrdersRequest",
        "CompleteSaleRequest",
        "ReviseInventoryStatusRequest",
    }
    for request in sent:
        assert not list(undocumented(request, f"{request.tag}Type")), request.tag


def simulator(sandbox: Any, token: str) -> Any:
    """ebaysdk's Trading connection to the simulator (plain HTTP, see test_ebay_simulator)."""
    from ebaysdk.trading import Connection

    api = Connection(
        appid="a", certid="c", devid="d", iaf_token=token, config_file=None,
        domain=sandbox.url.removeprefix("http://"), uri="/ebay/ws/api.dll", siteid="77",
    )  # fmt: skip
    api.config.set("https", False, force=True)
    return api


def answer(api: Any, verb: str, data: dict[str, Any]) -> ElementTree.Element:
    from ebaysdk.exception import ConnectionError as EbayConnectionError

    with contextlib.suppress(EbayConnectionError):  # an Ack=Failure answer is checked too
        api.execute(verb, data)
    return tree(api.response.content)


CALLS: dict[str, dict[str, Any]] = {
    "GetTokenStatus": {},
    "GetUser": {},
    "GetOrders": {"Pagination": {"EntriesPerPage": 1, "PageNumber": 1}},
    "CompleteSale": {"OrderID": "11-1111", "Shipped": "true"},
    "ReviseInventoryStatus": {"InventoryStatus": [{"SKU": "SKU-1", "Quantity": 3}]},
}


@pytest.mark.parametrize("verb", CALLS)
def test_every_element_the_simulator_answers_is_documented(
    sandbox: Any, ebay_adapter: Any, verb: str
) -> None:
    api = simulator(sandbox, ebay_adapter.account.access_token)
    reply = answer(api, verb, CALLS[verb])
    assert reply.tag == f"{verb}Response" and reply.findtext("Ack") == "Success"
    assert not list(undocumented(reply, f"{verb}ResponseType"))
    if verb == "GetOrders":
        assert reply.find("OrderArray/Order/CheckoutStatus/LastModifiedTime") is not None


def test_a_refusal_is_documented_too(sandbox: Any, ebay_adapter: Any) -> None:
    api = simulator(sandbox, ebay_adapter.account.access_token)
    reply = answer(api, "CompleteSale", {"OrderID": "99-unknown"})
    assert reply.findtext("Ack") == "Failure" and reply.find("Errors/ErrorCode") is not None
    assert not list(undocumented(reply, "CompleteSaleResponseType"))


def test_the_simulators_token_status_has_the_shape_of_ebays_sample(
    sandbox: Any, ebay_adapter: Any
) -> None:
    sample = tree((EBAY / "GetTokenStatusResponse.xml").read_bytes())
    assert not list(undocumented(sample, "GetTokenStatusResponseType"))
    reply = answer(simulator(sandbox, ebay_adapter.account.access_token), "GetTokenStatus", {})
    assert paths(reply) <= paths(sample)


def test_the_reference_check_catches_an_undocumented_element() -> None:
    made_up = tree(
        '<GetOrdersResponse xmlns="urn:ebay:apis:eBLBaseComponents"><Ack>Success</Ack>'
        "<OrderArray><Order><OrderId>1</OrderId></Order></OrderArray></GetOrdersResponse>"
    )
    assert list(undocumented(made_up, "GetOrdersResponseType")) == ["/OrderArray/Order/OrderId"]


def test_the_adapter_reads_ebays_sample_token_status(ebay_adapter: Any, sims: Any) -> None:
    """eBay's sample says RevokedByeBay: the connection is gone."""
    sims.ebay.answer_next((EBAY / "GetTokenStatusResponse.xml").read_text(), path="/ws")
    with pytest.raises(ConnectionExpired, match="RevokedByeBay"):
        ebay_adapter.check_connection()


def test_the_adapters_complete_sale_follows_ebays_sample(ebay_adapter: Any, sims: Any) -> None:
    sample = tree((EBAY / "CompleteSaleRequest.xml").read_bytes())
    assert not list(undocumented(sample, "CompleteSaleRequestType"))
    ebay_adapter.push_fulfillment(
        Shipment("11-1111", "DHL", "00340434", datetime(2026, 3, 1, 14, 30))
    )
    (sent,) = [call for call in trading_calls(sims) if call.tag == "CompleteSaleRequest"]
    # The sample names the sale by ItemID + TransactionID, we by OrderID (CompleteSaleRequestType).
    assert paths(sent) - {"/OrderID"} <= paths(sample) | {"/RequesterCredentials"}
    shipment, documented = sent.find("Shipment"), sample.find("Shipment")
    assert shipment is not None and documented is not None
    assert [c.tag for c in shipment] == [c.tag for c in documented]
    assert shipment.findtext("ShippedTime") == "2026-03-01T14:30:00Z"


def test_a_token_status_answer_without_its_status_is_an_adapter_error(
    ebay_adapter: Any, sims: Any
) -> None:
    from accounts.marketplaces import UnreadableResponse

    bare = (
        '<?xml version="1.0" encoding="UTF-8"?><GetTokenStatusResponse '
        'xmlns="urn:ebay:apis:eBLBaseComponents"><Ack>Success</Ack></GetTokenStatusResponse>'
    )
    sims.ebay.answer_next(bare, path="/ws")
    with pytest.raises(UnreadableResponse):
        ebay_adapter.check_connection()
