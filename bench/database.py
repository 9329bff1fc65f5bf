"""A benchmark's throwaway database, next to (never in place of) the tests' test_<name>."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def throwaway_database(prefix: str) -> Iterator[Any]:
    """Set up Django, create `<prefix>_<name>` with every migration, yield its connection,
    drop it afterwards."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salestio.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "sqlite":  # SQLite's test database is in memory already
        # Its own name: autoclobber must never drop the test_<name> a running pytest uses.
        connection.settings_dict["TEST"]["NAME"] = f"{prefix}_{connection.settings_dict['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
