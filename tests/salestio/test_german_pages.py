"""Every page in German, with the demo's data: no sentence of the English catalogue, money and
dates in the German format (one localisation: salestio.l10n)."""

import html
import re
from pathlib import Path
from typing import Any

import polib
import pytest

from billing.models import Plan
from salestio import compile_messages
from tests.pages import PAGES, demo_shop

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}|%[sd]")
# English money and date shapes that must not appear on a German page.
ENGLISH_FORMATS = [
    re.compile(r"€\s?\d"),  # "€5,120.00"
    re.compile(r"\d\.\d\d\s*(EUR|USD)\b"),  # "5120.00 EUR"
    re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}"),
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b"),
    re.compile(r"\d:\d\d\s?[ap]\.?m\b", re.I),  # "6:12 p.m."
]


def english_fragments() -> set[str]:
    """The English source of every translated string whose German differs, cut at its
    placeholders; fragments too short to be a sentence part are left out."""
    fragments: set[str] = set()
    for path in ROOT.glob("**/locale/de/LC_MESSAGES/django.po"):
        if ".venv" in path.parts:
            continue
        for entry in polib.pofile(str(path)).translated_entries():
            if entry.msgstr == entry.msgid:
                continue
            for piece in PLACEHOLDER.split(entry.msgid):
                piece = html.unescape(re.sub(r"<[^>]+>", " ", piece))
                piece = " ".join(piece.split()).strip(" .:;,'“”()—-")
                if len(piece) >= 12 or (len(piece) >= 4 and piece == entry.msgid):
                    fragments.add(piece)
    return fragments


def visible_text(page: str) -> str:
    """The text a reader meets: no scripts, no tags, no attribute values but labels."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<iframe\b[^>]*>", " ", page)  # the email as sent keeps the email's language
    # Text marked as English on purpose (a vendor's own message, an email sent in English),
    # and names that are not translated (translate="no": a plan's name).
    page = re.sub(
        r'<(\w+)\b[^>]*\b(?:lang="en"|translate="no")[^>]*>.*?</\1>', " ", page, flags=re.S
    )
    labels = " ".join(re.findall(r'(?:aria-label|heading|title|data-label)="([^"]*)"', page))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page + " " + labels)).split())


@pytest.fixture
def german_demo(sandbox: Any, db: None, shop_client: Any, settings: Any) -> tuple[Any, Any]:
    compile_messages.main()
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)  # reload the compiled catalogues
    shop = demo_shop(sandbox, locale="de")
    return shop, shop_client(shop)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_a_german_page_has_no_english_and_german_numbers_and_dates(
    german_demo: tuple[Any, Any], page: Any
) -> None:
    shop, client = german_demo
    response = client.get(page.path(shop))
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    # Plan names are the merchant's data, proper names like "Starter" (one is "Free").
    names = set(Plan.objects.values_list("name", flat=True))
    leaked = sorted(
        f
        for f in english_fragments() - names
        if re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", text)
    )
    assert leaked == [], text
    assert [p.pattern for p in ENGLISH_FORMATS if p.search(text)] == [], text


def test_the_german_dashboard_shows_money_and_relative_times_in_german(
    german_demo: tuple[Any, Any],
) -> None:
    text = visible_text(german_demo[1].get("/").content.decode())
    assert re.search(r"\b\d{1,3}(\.\d{3})*,\d\d\xa0?\s?€", text), text  # the demo's usage
    assert "gerade eben" in text and "vor 0 Minuten" not in text


def test_the_german_history_shows_dates_in_the_german_format(
    german_demo: tuple[Any, Any],
) -> None:
    text = visible_text(german_demo[1].get("/notifications/").content.decode())
    assert re.search(r"\b\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}\b", text), text
