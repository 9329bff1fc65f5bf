"""Migration tests: the database taken back to an earlier migration, and forward again."""

from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

Target = list[tuple[str, str]]


def migrate(target: Target) -> Any:
    """Migrate the test database to `target`; the apps as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def back_at(target: Target) -> Iterator[Any]:
    """For a fixture: the apps at `target`, then every migration again (the schema the other
    tests expect)."""
    yield migrate(target)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
