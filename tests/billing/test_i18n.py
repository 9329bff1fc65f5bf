"""The billing pages keep their own German catalogue (billing/locale); it must be complete."""

from pathlib import Path

import polib
from django.conf import settings

from tests.salestio.test_i18n import msgids_under

APP = Path(settings.BASE_DIR) / "billing"


def test_every_string_of_the_billing_app_has_a_german_translation() -> None:
    found = msgids_under([APP])
    catalogue = polib.pofile(str(APP / "locale" / "de" / "LC_MESSAGES" / "django.po"))
    assert not catalogue.fuzzy_entries()
    assert len(found) > 30  # the extraction itself works
    assert sorted(found - {entry.msgid for entry in catalogue.translated_entries()}) == []
