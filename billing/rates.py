"""Currency conversion with the stored rate table, and its refresh from a configurable source.

The default source is the ECB's daily reference rates (EUR base), an XML document of
`<Cube time="…"><Cube currency="USD" rate="1.0812"/>…` elements:
https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html
"""

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import requests
from django.conf import settings
from django.db.models import Q

from billing.models import ExchangeRate

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.00000001")
ECB_BASE = "EUR"


class RateUnavailable(LookupError):
    """No stored rate converts between the two currencies: the caller retries later."""


@dataclass(frozen=True)
class Converted:
    amount: Decimal
    rate: Decimal


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def convert(amount: Decimal, *, source: str, target: str, on: date) -> Converted:
    """`amount` in `source` as `target`, at the latest stored rate on or before `on`."""
    rate = Decimal(1) if source == target else rate_for(source=source, target=target, on=on)
    return Converted(to_cents(amount * rate), rate)


def rate_for(*, source: str, target: str, on: date) -> Decimal:
    """Direct, inverse, or across the feed's base currency (ECB publishes EUR → X only)."""
    direct = _stored(source, target, on)
    if direct is not None:
        return direct
    via_base = _stored(ECB_BASE, source, on), _stored(ECB_BASE, target, on)
    if source == ECB_BASE or target == ECB_BASE or None in via_base:
        raise RateUnavailable(f"no exchange rate {source} → {target} stored")
    base_source, base_target = via_base
    assert base_source is not None and base_target is not None
    return (base_target / base_source).quantize(RATE_PLACES)


def _stored(source: str, target: str, on: date) -> Decimal | None:
    """1 source = ? target from the row of the pair (either way round) nearest before `on`;
    the oldest row when none is that old (orders older than the table)."""
    if source == target:
        return Decimal(1)
    pair = Q(base=source, quote=target) | Q(base=target, quote=source)
    rows = ExchangeRate.objects.filter(pair)
    row = rows.filter(as_of__lte=on).order_by("-as_of").first() or rows.order_by("as_of").first()
    if row is None:
        return None
    return row.rate if row.base == source else (1 / row.rate).quantize(RATE_PLACES)


def refresh_rates() -> int:
    """Fetch the source's current rates and store them; returns how many rows were new."""
    url = settings.BILLING_RATES_URL
    response = requests.get(url, timeout=settings.BILLING_RATES_TIMEOUT)
    response.raise_for_status()
    day, rates = parse_ecb(response.content)
    created = 0
    for currency, rate in rates.items():
        _, new = ExchangeRate.objects.update_or_create(
            base=ECB_BASE, quote=currency, as_of=day, defaults={"rate": rate, "source": url}
        )
        created += new
    log.info("exchange rates of %s stored from %s: %d new", day, url, created)
    return created


def parse_ecb(document: bytes) -> tuple[date, dict[str, Decimal]]:
    root = ET.fromstring(document)
    dated = next((e for e in root.iter() if _local(e.tag) == "Cube" and e.get("time")), None)
    if dated is None:
        raise ValueError("not an ECB reference rate document: no dated Cube element")
    rates = {
        str(e.get("currency")): Decimal(str(e.get("rate")))
        for e in dated
        if _local(e.tag) == "Cube" and e.get("currency") and e.get("rate")
    }
    return date.fromisoformat(str(dated.get("time"))), rates


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
