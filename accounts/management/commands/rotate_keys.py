"""Re-encrypt every encrypted column (every app's, Shop tokens included) under the newest key.

Run after putting a new key first in FERNET_KEYS; once it finishes, old keys can be dropped.
"""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from salestio.crypto import EncryptedTextField, rotate

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt every EncryptedTextField value under the first key of FERNET_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        for model in apps.get_models():
            pk = model._meta.pk.column
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedTextField):
                    assert pk and field.column  # a concrete field always has a column
                    count = rotate_column(model._meta.db_table, pk, field.column)
                    self.stdout.write(f"{model._meta.label}.{field.name}: {count} re-encrypted")


def rotate_column(table: str, pk: str, column: str) -> int:
    """Raw SQL on purpose: the ORM would decrypt on read and encrypt again on write."""
    q = connection.ops.quote_name
    select = (
        f"SELECT {q(pk)}, {q(column)} FROM {q(table)} WHERE {q(column)} <> '' "
        f"AND {q(pk)} > %s ORDER BY {q(pk)} LIMIT {BATCH}"
    )
    update = f"UPDATE {q(table)} SET {q(column)} = %s WHERE {q(pk)} = %s"
    last, count = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select, [last])
            rows = cursor.fetchall()
            cursor.executemany(update, [(rotate(value), key) for key, value in rows])
        if not rows:
            return count
        last, count = rows[-1][0], count + len(rows)
