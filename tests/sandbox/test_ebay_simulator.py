"""The eBay simulator through ebaysdk itself: Trading XML, token errors, OAuth, deletion key."""

from typing import Any

import pytest
from ebaysdk.exception import ConnectionError as EbayConnectionError
from ebaysdk.trading import Connection

from sandbox.ebay import CLIENT_ID, CLIENT_SECRET


@pytest.fixture
def ebay(sandbox: Any) -> Any:
    return sandbox.sandbox["/ebay"]


def trading(sandbox: Any, token: str) -> Connection:
    api = Connection(
        appid=CLIENT_ID,
        certid=CLIENT_SECRET,
        devid="dev",
        iaf_token=token,
        config_file=None,
        domain=sandbox.url.removeprefix("http://"),
        uri="/ebay/ws/api.dll",
        siteid="77",
    )
    # ebaysdk sets https=True with force=True in its Connection (ebaysdk/trading/__init__.py,
    # https://github.com/timotheus/ebaysdk-python); the simulator speaks plain HTTP.
    api.config.set("https", False, force=True)
    return api


def test_get_orders_pages_through_ebaysdk(sandbox: Any, ebay: Any) -> None:
    for n in range(3):
        ebay.add_order("seller1", f"11-0000{n}")
    api = trading(sandbox, ebay.book.issue("seller1")["access_token"])
    reply = api.execute("GetOrders", {"Pagination": {"EntriesPerPage": 2, "PageNumber": 2}}).reply
    assert [o.OrderID for o in reply.OrderArray.Order] == ["11-00002"]
    assert reply.HasMoreOrders == "false"


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        ("bogus", 21916984),  # a token eBay never issued
        ("expire", 21917053),
        ("revoke", 21916984),
    ],
)
def test_token_errors_arrive_as_ack_failure_codes(
    sandbox: Any, ebay: Any, damage: str, code: int
) -> None:
    token = ebay.book.issue("seller1")["access_token"]
    if damage == "bogus":
        token = "v^1.1#i^1#bogus"
    else:
        getattr(ebay.book, damage)("seller1")
    api = trading(sandbox, token)
    with pytest.raises(EbayConnectionError):
        api.execute("GetUser", {})
    assert api.response_codes() == [code] and api.response_code() == 200


def test_revise_inventory_status_allows_four_items(sandbox: Any, ebay: Any) -> None:
    api = trading(sandbox, ebay.book.issue("seller1")["access_token"])
    items = [{"SKU": f"S{n}", "Quantity": n} for n in range(5)]
    api.execute("ReviseInventoryStatus", {"InventoryStatus": items[:4]})
    with pytest.raises(EbayConnectionError):
        api.execute("ReviseInventoryStatus", {"InventoryStatus": items})
    assert len(ebay.inventory_updates) == 4


def test_refresh_keeps_the_refresh_token_and_dead_ones_are_invalid_grant(ebay: Any) -> None:
    tokens = ebay.book.issue("seller1")
    assert "refresh_token" not in (ebay.book.use_refresh(tokens["refresh_token"]) or {})
    ebay.book.revoke("seller1")
    assert ebay.book.use_refresh(tokens["refresh_token"]) is None
