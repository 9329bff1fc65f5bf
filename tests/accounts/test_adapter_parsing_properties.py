"""The adapters survive every answer the vendors' specs allow (issue 14).

hypothesis-jsonschema generates response bodies from the specs' own response schemas; the
sandbox hands each one to the real adapter over HTTP (answer_next), through the real client
libraries. The outcome must be a parsed result or an exception of the adapter family
(accounts.marketplaces.base), nothing else. Derandomized, a bounded number of examples.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from accounts.marketplaces import ListingUpdate, MarketplaceError, RemoteOrder, adapter_for
from accounts.marketplaces.etsy import shop_id_of
from sandbox.specs import AMAZON_LISTINGS, AMAZON_ORDERS, ETSY
from tests.accounts.specs import load_spec

pytestmark = pytest.mark.django_db
EXAMPLES = 25
SINCE = datetime(2020, 1, 1, tzinfo=UTC)
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def response_bodies(spec: Path, path: str, method: str, status: int = 200) -> Any:
    """Every body the spec allows for that answer (OpenAPI `nullable` as a null alternative)."""
    document = load_spec(spec)
    declared = document["paths"][path][method]["responses"][str(status)]
    schema = declared.get("schema") or declared["content"]["application/json"]["schema"]
    scope = {
        "definitions": document.get("definitions", {}),
        "components": document.get("components", {}),
    }
    return from_schema({**schema, **scope})


@dataclass(frozen=True)
class Answer:
    """One adapter call and the vendor answer it reads."""

    marketplace: str
    spec: Path
    path: str
    method: str
    sandbox_path: str
    call: Callable[[Any], Any]
    parsed: type | tuple[type, ...]
    # A read parses the spec's ordinary answers; a write of what the GET gave may be refused
    # (the sandbox validates the PUT against the spec), which is an adapter error too.
    must_parse: bool = True

    def __str__(self) -> str:
        return f"{self.marketplace} {self.method.upper()} {self.path}"


def orders(adapter: Any) -> list[RemoteOrder]:
    found = adapter.fetch_orders(SINCE)
    assert all(isinstance(order, RemoteOrder) for order in found)
    return list(found)


ANSWERS = [
    Answer(
        "amazon",
        AMAZON_ORDERS,
        "/orders/v0/orders",
        "get",
        "/orders/v0/orders",
        orders,
        list,
    ),
    Answer(
        "amazon",
        AMAZON_LISTINGS,
        "/listings/2021-08-01/items/{sellerId}/{sku}",
        "patch",
        "/listings/",
        lambda adapter: adapter.update_listing(ListingUpdate(sku="SKU-1", quantity=5)),
        type(None),
    ),
    Answer(
        "etsy",
        ETSY,
        "/v3/application/shops/{shop_id}/receipts",
        "get",
        "/v3/application/shops/",
        orders,
        list,
    ),
    Answer(
        "etsy",
        ETSY,
        "/v3/application/listings/{listing_id}/inventory",
        "get",
        "/v3/application/listings/",
        lambda adapter: adapter.update_listing(ListingUpdate("SKU-1", 5, listing_id="9001")),
        type(None),
        must_parse=False,
    ),
]


@pytest.mark.parametrize("answer", ANSWERS, ids=str)
def test_every_answer_the_spec_allows_parses_or_fails_in_the_family(
    connect: Any, shop: Any, sims: Any, answer: Answer
) -> None:
    adapter = adapter_for(connect(shop, answer.marketplace))
    sims.etsy.add_listing(9001, sku="SKU-1", quantity=3)
    sim = getattr(sims, answer.marketplace)
    outcomes: set[str] = set()

    @PROPERTY_SETTINGS
    @given(body=response_bodies(answer.spec, answer.path, answer.method))
    def run(body: Any) -> None:
        sim.faults.clear()
        sim.answer_next(body, path=answer.sandbox_path)
        try:
            result = answer.call(adapter)
        except MarketplaceError as exc:
            outcomes.add(type(exc).__name__)
        else:
            assert isinstance(result, answer.parsed), result
            outcomes.add("parsed")

    run()
    assert outcomes and ("parsed" in outcomes or not answer.must_parse), outcomes


@PROPERTY_SETTINGS
@given(me=response_bodies(ETSY, "/v3/application/users/me", "get"))
def test_every_get_me_answer_gives_a_shop_id_or_an_adapter_error(me: Any) -> None:
    try:
        shop_id = shop_id_of(me)
    except MarketplaceError:
        return
    assert shop_id.isdigit() and int(shop_id) >= 1


@PROPERTY_SETTINGS
@given(timestamp=st.integers(min_value=946684800, max_value=2**63 - 1))
def test_any_int64_receipt_timestamp_parses_or_fails_in_the_family(timestamp: int) -> None:
    """The spec's bound for updated_timestamp is only its minimum (int64 above that)."""
    from accounts.marketplaces.etsy import receipts_page

    try:
        (order,), count = receipts_page(
            {"count": 1, "results": [{"receipt_id": 1, "updated_timestamp": timestamp}]}
        )
    except MarketplaceError:
        return
    assert count == 1 and order.updated_at.timestamp() == timestamp
