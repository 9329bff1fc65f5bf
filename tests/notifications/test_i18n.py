"""The notifications app's own German catalogue covers every string of its pages and emails."""

from pathlib import Path

import polib
from django.conf import settings

from tests.salestio.test_i18n import msgids_under

APP = Path(settings.BASE_DIR) / "notifications"


def test_every_string_of_the_notifications_app_has_a_german_translation() -> None:
    found = msgids_under([APP])
    catalogue = polib.pofile(str(APP / "locale" / "de" / "LC_MESSAGES" / "django.po"))
    translated = {entry.msgid for entry in catalogue.translated_entries()}
    assert not catalogue.fuzzy_entries()
    assert len(found) > 100
    assert sorted(found - translated) == []
