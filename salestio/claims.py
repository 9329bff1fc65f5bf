"""Claims in one statement (issue 12): a sweep leases every due row it takes with one
`WITH claimed AS (SELECT id … ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE … FROM claimed
… RETURNING id`, then hands the ids on in batches. Its cost in queries does not grow with the
rows due, and two overlapping sweeps take disjoint rows: SKIP LOCKED leaves the rows one holds
to it (PostgreSQL), and the lease moved forward stops the other seeing them as due once
committed. A worker that dies with a claimed row loses it when the lease ends, and the next
sweep takes it.

SQLite (`make demo`; 3.35+ for RETURNING, 3.33+ for UPDATE FROM) has one writer at a time and
no row locks: the FOR UPDATE clause is left out there.
https://www.postgresql.org/docs/current/sql-update.html (RETURNING, FROM),
https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE (SKIP LOCKED)
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


def claim(
    due: QuerySet[M], *, limit: int, lease: Mapping[str, Any], returning: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Write `lease` (field → value or expression) into up to `limit` rows of `due`, taken in
    its order, in one statement; each claimed row's id and `returning` fields as the lease
    left them, in id order.

    Django's update() answers a row count only, so the UPDATE is compiled as update() does it
    and RETURNING appended; the values come back through the fields' converters.
    """
    model = due.model
    update = UpdateQuery(model)
    update.add_update_values(dict(lease))
    by_name = {field.name: field for field in model._meta.concrete_fields}
    columns = [by_name[name].get_col(model._meta.db_table) for name in ("id", *returning)]
    compiler = update.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    returned = ", ".join(compiler.compile(column)[0] for column in columns)
    locked, locked_params = _locked_subselect(due.values("pk")[:limit])
    quote = connection.ops.quote_name
    key = f"{quote(model._meta.db_table)}.{quote(str(model._meta.pk.column))}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH claimed (pk) AS ({locked}) {sql} FROM claimed WHERE {key} = claimed.pk "
            f"RETURNING {returned}",
            (*locked_params, *params),
        )
        rows = cursor.fetchall()
    converters = compiler.get_converters(columns)
    return sorted(tuple(row) for row in compiler.apply_converters(rows, converters))


def _locked_subselect(ids: QuerySet[Any, Any]) -> tuple[str, tuple[Any, ...]]:
    """The ids' SELECT with SKIP LOCKED where the database has it. Not select_for_update():
    Django compiles that only inside a transaction, and one statement needs none of its own.
    A WITH query of its own, joined by UPDATE ... FROM: PostgreSQL runs a locking one once and
    the UPDATE finds its rows by primary key. Written as `WHERE id IN (<this SELECT>)` the
    planner joins it to a scan of the whole table: 1.7x the floor's time in bench_sweep, where
    this is about 1.1x."""
    sql, params = ids.query.sql_with_params()
    if connection.features.has_select_for_update_skip_locked:
        sql = f"{sql} {connection.ops.for_update_sql(skip_locked=True)}"
    return sql, tuple(params)


def claim_ids(due: QuerySet[M], *, limit: int, lease: Mapping[str, Any]) -> list[int]:
    """claim() for the ids alone."""
    return [row[0] for row in claim(due, limit=limit, lease=lease)]


def fan_out(ids: Sequence[T], *, size: int, enqueue: Callable[[list[T]], object]) -> int:
    """Hand `ids` to `enqueue` in batches of `size`; how many batches."""
    batches = [list(ids[start : start + size]) for start in range(0, len(ids), size)]
    for batch in batches:
        enqueue(batch)
    return len(batches)
