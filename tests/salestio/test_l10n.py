"""One localisation (salestio.l10n through Babel): money, days and moments per language, in
the shop's time zone; relative times; vendor errors as the merchant's sentences."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from salestio import compile_messages, errors, l10n

MOMENT = datetime(2026, 11, 30, 17, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def compiled(settings: Any) -> None:
    compile_messages.main()
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)


@pytest.mark.parametrize(
    ("language", "money", "day", "moment"),
    [
        ("en", "€5,120.00", "Nov 30, 2026", "Nov 30, 2026, 6:12\u202fPM"),
        ("de", "5.120,00\xa0€", "30.11.2026", "30.11.2026, 18:12"),
    ],
)
def test_each_kind_of_value_has_one_format_per_language_in_the_shops_zone(
    language: str, money: str, day: str, moment: str
) -> None:
    with translation.override(language), timezone.override("Europe/Berlin"):
        assert l10n.money("5120.00", "EUR") == money
        assert l10n.date_short(date(2026, 11, 30)) == day
        assert l10n.date_short("2026-11-30") == day
        assert l10n.datetime_short(MOMENT) == moment


def test_a_moment_is_shown_in_the_shops_time_zone_not_utc() -> None:
    with translation.override("de"):
        l10n.activate_shop_zone("America/New_York")
        assert l10n.datetime_short(MOMENT) == "30.11.2026, 12:12"
        l10n.activate_shop_zone("No/Such_Zone")  # unknown: UTC, not a crash
        assert l10n.datetime_short(MOMENT) == "30.11.2026, 17:12"
        timezone.deactivate()


@pytest.mark.parametrize(
    ("language", "seconds", "text"),
    [
        ("en", 0, "just now"),
        ("de", 20, "gerade eben"),
        ("en", 60, "1 minute ago"),
        ("de", 5 * 60, "vor 5 Minuten"),
        ("de", 3 * 3600, "vor 3 Stunden"),
        ("en", 2 * 86400, "2 days ago"),
    ],
)
def test_relative_times_say_just_now_not_zero_minutes(
    language: str, seconds: int, text: str
) -> None:
    with translation.override(language):
        assert l10n.relative(MOMENT, now=MOMENT + timedelta(seconds=seconds)) == text


def test_the_template_tags_use_the_same_formats() -> None:
    template = Template(
        "{% load l10n_extras %}{% money amount 'EUR' %}|{{ day|date_short }}|{{ moment|datetime }}"
    )
    with translation.override("de"), timezone.override("UTC"):
        rendered = template.render(Context({"amount": "4850", "day": MOMENT, "moment": MOMENT}))
    assert rendered == "4.850,00\xa0€|30.11.2026|30.11.2026, 17:12"


@pytest.mark.parametrize(
    ("raw", "kind", "start_en", "start_de"),
    [
        (
            "Amazon refused the login (invalid_grant): The request has an invalid grant",
            errors.Kind.ACCOUNT,
            "The marketplace no longer accepts Salestio's access.",
            "Der Marktplatz akzeptiert den Zugriff von Salestio nicht mehr.",
        ),
        (
            "No Shopify variant has the SKU 'MUG-RED-L'.",
            errors.Kind.ORDER,
            "No Shopify product has this SKU.",
            "Kein Shopify-Produkt hat diese SKU.",
        ),
        (
            "CompleteSale: the tracking number is not valid for carrier DHL.",
            errors.Kind.FULFILLMENT,
            "The marketplace did not accept the shipment.",
            "Der Marktplatz hat die Versanddaten nicht akzeptiert.",
        ),
        (
            "updateListingInventory: quantity must be 999 or less.",
            errors.Kind.LISTING,
            "The marketplace did not accept the listing's quantity or price.",
            "Der Marktplatz hat die Menge oder den Preis des Angebots nicht akzeptiert.",
        ),
        (
            "something nobody foresaw",
            errors.Kind.ORDER,
            "The order could not be created in Shopify.",
            "Die Bestellung konnte in Shopify nicht erstellt werden.",
        ),
    ],
)
def test_a_vendor_error_becomes_a_translated_sentence_and_keeps_its_words(
    raw: str, kind: errors.Kind, start_en: str, start_de: str
) -> None:
    for language, start in (("en", start_en), ("de", start_de)):
        with translation.override(language):
            explained = errors.explain(raw, kind=kind)
        assert explained.sentence.startswith(start)
        assert explained.detail == raw


def test_a_category_name_picks_the_kind_of_its_errors() -> None:
    assert errors.kind_of("listing_update_failed") is errors.Kind.LISTING
    assert errors.kind_of("order") is errors.Kind.ORDER
    assert errors.kind_of("account_expired") is errors.Kind.ACCOUNT
