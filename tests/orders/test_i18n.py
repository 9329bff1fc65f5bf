"""The orders pages keep their own German catalogue (orders/locale); it must be complete."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings

from salestio.models import Shop
from tests.salestio.test_i18n import msgids_under

APP = Path(settings.BASE_DIR) / "orders"


def test_every_string_of_the_orders_app_has_a_german_translation() -> None:
    found = msgids_under([APP])
    catalogue = polib.pofile(str(APP / "locale" / "de" / "LC_MESSAGES" / "django.po"))
    assert not catalogue.fuzzy_entries()
    assert len(found) > 40  # the extraction itself works
    assert sorted(found - {entry.msgid for entry in catalogue.translated_entries()}) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "german"),
    [
        ("/orders/", "Keine Bestellungen gefunden."),
        ("/orders/sku-mappings/", "Als CSV herunterladen"),
    ],
)
def test_the_orders_pages_speak_german(
    path: str, german: str, make_shop: Callable[..., Shop], shop_client: Callable[[Shop], Any]
) -> None:
    assert german in shop_client(make_shop(locale="de")).get(path).content.decode()
