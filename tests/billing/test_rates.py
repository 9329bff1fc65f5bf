"""The rate table's refresh from its configured source (the sandbox's ECB daily document,
in the ECB's published format) and its use for an order in another currency."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from billing import limits, rates, tasks
from billing.models import ExchangeRate, UsageLine
from salestio.models import Shop


@pytest.fixture
def ecb(sandbox: Any, settings: Any) -> Any:
    settings.BILLING_RATES_URL = f"{sandbox.url}/ecb/stats/eurofxref/eurofxref-daily.xml"
    return sandbox.sandbox["/ecb"]


def test_the_daily_rates_are_stored_with_their_day_and_source(ecb: Any, db: None) -> None:
    day = date(2026, 11, 27)
    ecb.publish({"USD": "1.0812", "GBP": "0.8431"}, day)
    assert tasks.refresh_exchange_rates() == 2
    stored = {r.quote: (r.rate, r.as_of) for r in ExchangeRate.objects.filter(base="EUR")}
    assert stored == {"USD": (Decimal("1.0812"), day), "GBP": (Decimal("0.8431"), day)}
    assert ExchangeRate.objects.earliest("pk").source.endswith(
        "/ecb/stats/eurofxref/eurofxref-daily.xml"
    )
    assert tasks.refresh_exchange_rates() == 0  # the same day again: updated, not added


def test_a_usd_order_uses_the_refreshed_rate_and_keeps_it(
    ecb: Any, shop: Shop, starter: Any
) -> None:
    ecb.publish({"USD": "1.25"}, date.today() - timedelta(days=1))
    rates.refresh_rates()
    limits.record_order_usage(
        shop=shop,
        key="order:us",
        amount=Decimal("50"),
        currency="usd",
        occurred_at=timezone.now(),
    )
    line = UsageLine.objects.get(key="order:us")
    assert (line.amount, line.rate, line.original_currency) == (
        Decimal("40.00"),
        Decimal("0.8"),
        "USD",
    )


def test_a_cross_rate_goes_through_the_euro(db: None) -> None:
    today = date.today()
    ExchangeRate.objects.create(base="EUR", quote="USD", rate=Decimal("1.25"), as_of=today)
    ExchangeRate.objects.create(base="EUR", quote="GBP", rate=Decimal("0.75"), as_of=today)
    converted = rates.convert(Decimal("100"), source="USD", target="GBP", on=today)
    assert (converted.amount, converted.rate) == (Decimal("60.00"), Decimal("0.6"))


def test_a_document_that_is_not_the_ecbs_is_refused() -> None:
    with pytest.raises(ValueError, match="no dated Cube"):
        rates.parse_ecb(b"<html><body>maintenance</body></html>")
