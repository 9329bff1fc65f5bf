"""Re-encrypt every encrypted column (every app's, Shop tokens included) under the newest key.

Run after putting a new key first in FERNET_KEYS; once it finishes, old keys can be dropped.
"""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection

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
    """Raw SQL on purpose: the ORM would decrypt on read and encrypt again on write.

    Rows are read without a lock while the app keeps running, and a refresh (Shopify's and
    Etsy's rotate the refresh token) may store a new value between our read and our write.
    Each write is therefore conditional on the value read; a row that changed is read again
    and its new value rotated, never overwritten with the old, already spent one.
    """
    q = connection.ops.quote_name
    select = (
        f"SELECT {q(pk)}, {q(column)} FROM {q(table)} WHERE {q(column)} <> '' "
        f"AND {q(pk)} > %s ORDER BY {q(pk)} LIMIT {BATCH}"
    )
    last, count = 0, 0
    while True:
        # Autocommit: each row's write commits alone, so no lock waits on the rest of a batch
        # (a refresh holds its row while it talks to the marketplace).
        with connection.cursor() as cursor:
            cursor.execute(select, [last])
            rows = cursor.fetchall()
            for key, value in rows:
                _rotate_row(cursor, (q(table), q(pk), q(column)), key, value)
        if not rows:
            return count
        last, count = rows[-1][0], count + len(rows)


def _rotate_row(cursor: Any, names: tuple[str, str, str], key: object, value: str) -> None:
    table, pk, column = names
    update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s"
    reread = f"SELECT {column} FROM {table} WHERE {pk} = %s"
    while value:
        cursor.execute(update, [rotate(value), key, value])
        if cursor.rowcount == 1:
            return
        cursor.execute(reread, [key])  # changed meanwhile (or deleted: nothing to rotate)
        row = cursor.fetchone()
        value = row[0] if row else ""
