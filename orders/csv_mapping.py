"""SKU mappings as CSV: upload (checked row by row) and download.

Columns: marketplace_sku, store_sku, account (an account's name; empty = every account).
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.models import Account
from orders.models import SkuMapping

HEADER = ("marketplace_sku", "store_sku", "account")
# A mapping file is a few hundred kilobytes even for a large catalogue; beyond this it is
# not one, and reading it would only tie up a worker.
MAX_BYTES = 2 * 1024 * 1024
MAX_SKU_LENGTH = 200


class CsvRefused(Exception):
    """The whole file cannot be read; the message says why."""


@dataclass(frozen=True)
class Row:
    number: int
    marketplace_sku: str
    store_sku: str
    account: Account | None


@dataclass
class Parsed:
    rows: list[Row]
    errors: list[tuple[int, str]]


def read_upload(data: bytes, accounts: Iterable[Account]) -> Parsed:
    if not data.strip():
        raise CsvRefused(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise CsvRefused(_("The file is larger than 2 MB; split it into smaller files."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvRefused(
            _("The file is not UTF-8 text (byte %(at)s). Save it as “CSV UTF-8” and try again.")
            % {"at": exc.start + 1}
        ) from exc
    return _rows(csv.reader(io.StringIO(text)), {a.name.casefold(): a for a in accounts})


def _rows(reader: Iterable[list[str]], accounts: dict[str, Account]) -> Parsed:
    parsed = Parsed(rows=[], errors=[])
    seen: dict[tuple[int | None, str], int] = {}
    for number, cells in enumerate(reader, start=1):
        cells = [c.strip() for c in cells]
        if number == 1 and [c.lower() for c in cells[:2]] == list(HEADER[:2]):
            continue
        if not any(cells):
            continue
        row, error = _row(number, cells, accounts)
        if row is not None:
            key = (row.account.pk if row.account else None, row.marketplace_sku)
            if key in seen:
                row, error = None, _("Same marketplace SKU as row %(row)s.") % {"row": seen[key]}
            else:
                seen[key] = number
        if error:
            parsed.errors.append((number, error))
        elif row is not None:
            parsed.rows.append(row)
    if not parsed.rows and not parsed.errors:
        raise CsvRefused(_("The file has no mapping rows."))
    return parsed


def _row(number: int, cells: list[str], accounts: dict[str, Account]) -> tuple[Row | None, str]:
    if len(cells) < 2 or len(cells) > 3:
        return None, _("Expected 2 or 3 columns: marketplace SKU, store SKU, account.")
    marketplace_sku, store_sku = cells[0], cells[1]
    account_name = cells[2] if len(cells) == 3 else ""
    if not marketplace_sku or not store_sku:
        return None, _("Marketplace SKU and store SKU are both required.")
    if max(len(marketplace_sku), len(store_sku)) > MAX_SKU_LENGTH:
        return None, _("A SKU is longer than 200 characters.")
    account = accounts.get(account_name.casefold()) if account_name else None
    if account_name and account is None:
        return None, _("No account is named “%(name)s”.") % {"name": account_name}
    return Row(number, marketplace_sku, store_sku, account), ""


def write_csv(mappings: Iterable[SkuMapping]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for mapping in mappings:
        writer.writerow(
            [
                mapping.marketplace_sku,
                mapping.store_sku,
                mapping.account.name if mapping.account else "",
            ]
        )
    return out.getvalue()
