"""The UI ships in English and German; the admin's locale picks one at install.

locale/de/LC_MESSAGES/django.po holds the German of the core pages (templates/, salestio/) and of
the listings and billing pages; the other apps (orders too) keep their own catalogues.
"""

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings as django_settings
from django.utils.translation.template import templatize

from salestio import compile_messages
from salestio.models import Shop
from tests.conftest import session_token

ROOT = Path(django_settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
# billing, accounts, notifications, orders and listings keep their own catalogues
# (<app>/locale), each tested by its app's tests (e.g. tests/listings/test_i18n.py).
TRANSLATED_HERE = ["templates", "salestio"]
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy"}
TEMPLATE_MSGID = re.compile(r"gettext\((u'(?:[^'\\]|\\.)*')\)")
GERMAN_NAV = [
    "Dashboard",
    "Konten",
    "Bestellungen",
    "Angebote",
    "Pläne",
    "Einstellungen",
    "E-Mail-Verlauf",
]
ENGLISH_NAV = ["Dashboard", "Accounts", "Orders", "Listings", "Plans", "Settings", "Email history"]


@pytest.fixture(autouse=True)
def compiled(settings: Any) -> None:
    """`make messages` compiles the catalogues; a bare pytest run may not have done it yet."""
    compile_messages.main()
    # Assigning LOCALE_PATHS makes Django drop the translations it has already loaded.
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)


def nav_labels(html: str) -> list[str]:
    """The embedded page's navigation: the admin draws it from <ui-nav-menu>."""
    nav = re.search(r"<ui-nav-menu>.*?</ui-nav-menu>", html, re.S)
    assert nav, html
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(0))


def test_a_german_shop_sees_the_german_navigation(
    make_shop: Callable[..., Shop], shop_client: Callable[[Shop], Any]
) -> None:
    response = shop_client(make_shop(locale="de")).get("/")
    assert nav_labels(response.content.decode()) == GERMAN_NAV
    assert '<html lang="de">' in response.content.decode()


def test_an_english_shop_sees_the_english_navigation(
    shop: Shop, shop_client: Callable[[Shop], Any]
) -> None:
    assert nav_labels(shop_client(shop).get("/").content.decode()) == ENGLISH_NAV


def test_the_admins_locale_sets_the_language_of_a_new_shop(
    db: None, sandbox: Any, client: Any
) -> None:
    domain = "neu-laden.myshopify.com"
    response = client.get("/", {"id_token": session_token(domain), "locale": "de-DE"})
    assert nav_labels(response.content.decode()) == GERMAN_NAV
    assert Shop.objects.get(domain=domain).locale == "de"


def test_the_admins_locale_does_not_overwrite_the_merchants_choice(
    make_shop: Callable[..., Shop], shop_client: Callable[[Shop], Any]
) -> None:
    shop = make_shop(locale="de")
    response = shop_client(shop).get("/", {"locale": "en"})
    assert nav_labels(response.content.decode()) == GERMAN_NAV
    shop.refresh_from_db()
    assert shop.locale == "de"


@pytest.mark.parametrize(
    ("path", "german"),
    [
        ("/billing/", "Wählen Sie Ihren Plan"),
    ],
    ids=["billing"],
)
def test_the_placeholder_pages_speak_german(
    path: str, german: str, make_shop: Callable[..., Shop], shop_client: Callable[[Shop], Any]
) -> None:
    assert german in shop_client(make_shop(locale="de")).get(path).content.decode()


def _template_msgids(path: Path) -> Iterator[str]:
    for literal in TEMPLATE_MSGID.findall(templatize(path.read_text(), origin=str(path))):
        yield str(ast.literal_eval(literal))


def _python_msgids(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in GETTEXT_NAMES
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield str(node.args[0].value)


def msgids_under(folders: list[Path]) -> set[str]:
    """Every translatable string of the templates and Python code below these folders."""
    found: set[str] = set()
    for folder in folders:
        for path in folder.rglob("*"):
            if path.suffix == ".html":
                found.update(_template_msgids(path))
            elif path.suffix == ".py" and "migrations" not in path.parts:
                found.update(_python_msgids(path))
    return found


def test_every_string_of_these_pages_has_a_german_translation() -> None:
    catalogue = polib.pofile(str(CATALOGUE))
    translated = {entry.msgid for entry in catalogue.translated_entries()}
    assert not catalogue.fuzzy_entries()
    found = msgids_under([ROOT / folder for folder in TRANSLATED_HERE])
    assert len(found) > 15  # the extraction itself works (nav, dashboard, pages)
    assert sorted(found - translated) == []
