"""The listings app's German lives in listings/locale; every string of its pages has one."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings

from salestio.models import Shop
from tests.salestio.test_i18n import msgids_under

LISTINGS = Path(settings.BASE_DIR) / "listings"


def test_every_string_of_the_listings_app_has_a_german_translation() -> None:
    catalogue = polib.pofile(str(LISTINGS / "locale" / "de" / "LC_MESSAGES" / "django.po"))
    translated = {entry.msgid for entry in catalogue.translated_entries()}
    found = msgids_under([LISTINGS])
    assert len(found) > 20
    assert sorted(found - translated) == []


@pytest.mark.django_db
def test_a_german_shop_reads_the_listings_page_and_the_dashboard_counters_in_german(
    make_shop: Callable[..., Shop], shop_client: Callable[[Shop], Any]
) -> None:
    client = shop_client(make_shop(locale="de"))
    assert "SKU oder Titel" in client.get("/listings/").content.decode()
    assert "Angebotssynchronisierung" in client.get("/").content.decode()
