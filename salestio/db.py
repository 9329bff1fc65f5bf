"""Database helpers every app shares: rows built and inserted in bulk without the ORM's
per-value bookkeeping, inserts whose unique constraint is the claim, per-row updates in one
statement, and the single row of a written-out read."""

import functools
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)


def build(model: type[M], **values: Any) -> M:
    """model(**values), unsaved, through Model.__init__'s positional path: by keyword it looks
    up and defaults every field on its own, which costs more than the INSERT once a job run
    has hundreds of rows (bench_notify). `values` are by attname (shop_id, not shop)."""
    return model(
        *[
            values[name] if name in values else (default() if per_row else default)
            for name, default, per_row in _defaults(model)
        ]
    )


@functools.cache
def _defaults(model: type[models.Model]) -> list[tuple[str, Any, bool]]:
    """Each field's attname and default; per_row: a callable (dict, timezone.now) to call for
    each object, the others computed once (constants: Django warns of mutable ones)."""
    return [
        (field.attname, field.default, True)
        if field.has_default() and callable(field.default)
        else (field.attname, field.get_default(), False)
        for field in model._meta.concrete_fields
    ]


def insert_unless_conflict(obj: models.Model) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: True, and `obj` saved, if the row is new.

    A unique constraint stays the claim, but losing it is an empty result instead of an
    IntegrityError that needs a savepoint around every insert (two more round trips, three on
    a conflict). bulk_create(ignore_conflicts=True) does not say which rows went in, hence the
    insert query that Model.save() runs, with the conflict clause added. Needs a database that
    returns columns from an INSERT (PostgreSQL; SQLite 3.35+).
    """
    return bool(insert_all_unless_conflict([obj], unique=()))


def insert_all_unless_conflict(objs: Sequence[M], *, unique: tuple[str, ...]) -> list[M]:
    """insert_unless_conflict() for many rows in one statement (per batch the database takes):
    the objects whose rows went in, saved. `unique` names the fields that tell the rows apart
    (those of the constraint that is the claim); the database returns them with each new id.
    ON CONFLICT DO NOTHING skips rows only for a unique constraint (SQLite's INSERT OR IGNORE,
    which bulk_create uses there, would skip a NOT NULL or CHECK violation too).
    """
    if not objs:
        return []
    meta = objs[0]._meta
    keys = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in unique]
    by_key = {tuple(getattr(obj, field.attname) for field in keys): obj for obj in objs}
    inserted: list[M] = []
    for row in _insert_rows(objs, "ON CONFLICT DO NOTHING", keys):
        obj = by_key[tuple(row[1:])]
        _saved(obj, row[0])
        inserted.append(obj)
    return inserted


def insert_all(objs: Sequence[M]) -> None:
    """INSERT ... VALUES (...), ... RETURNING id for new objects, which get their ids."""
    # RETURNING gives the rows in VALUES' order, as bulk_create relies on too.
    for obj, (pk,) in zip(objs, _insert_rows(objs, "", []), strict=True):
        _saved(obj, pk)


def _insert_rows(
    objs: Sequence[models.Model], conflict: str, returning: list["models.Field[Any, Any]"]
) -> list[tuple[Any, ...]]:
    """The INSERT that bulk_create and insert queries compose, written out: their per-value
    bookkeeping costs more CPU than the statement itself for a job run's rows (bench_notify).
    Returns the id and the `returning` columns of each row inserted."""
    if not objs:
        return []
    model, meta = type(objs[0]), objs[0]._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [field for field in meta.local_concrete_fields if field is not meta.pk]
    columns = ", ".join(quote(str(field.column)) for field in fields)
    back = ", ".join(quote(str(field.column)) for field in [meta.pk, *returning])
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, (connection.features.max_query_params or 30_000) // len(fields))
    preparers = [_Preparer(field, connection) for field in fields]
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        params = [
            prepare(field.pre_save(obj, True))
            for obj in batch
            for field, prepare in zip(fields, preparers, strict=True)
        ]
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "
            f"VALUES {', '.join([row] * len(batch))} {conflict} RETURNING {back}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows.extend(cursor.fetchall())
    return rows


# Field types whose values of exactly this Python type go to any database as they are: their
# get_db_prep_save() returns them unchanged, at a cost that adds up over a job run's rows.
_AS_IS: dict[str, type] = {
    "CharField": str,
    "TextField": str,
    "BooleanField": bool,
    "IntegerField": int,
    "PositiveIntegerField": int,
    "BigIntegerField": int,
    "ForeignKey": int,  # every key here is an integer id
}


class _Preparer:
    """One field's get_db_prep_save(), for the values of many rows, without its cost where the
    answer is known: a plain value of an _AS_IS type goes as it is, and the same object as the
    row before (a call's `now`, a default) is prepared once."""

    def __init__(self, field: "models.Field[Any, Any]", connection: Any) -> None:
        self.field, self.connection = field, connection
        self.as_is = _AS_IS.get(field.get_internal_type())
        self.last: Any = self  # no value yet: nothing is this object
        self.last_prepared: Any = None

    def __call__(self, value: Any) -> Any:
        if self.as_is is not None and (value is None or type(value) is self.as_is):
            return value
        if value is not self.last:
            self.last_prepared = self.field.get_db_prep_save(value, self.connection)
            self.last = value
        return self.last_prepared


def _saved(obj: models.Model, pk: Any) -> None:
    obj.pk, obj._state.adding, obj._state.db = pk, False, router.db_for_write(type(obj))


# update_each's rows per statement: a few parameters each, well within SQLite's 32,766.
UPDATE_BATCH = 500


def update_each(model: type[models.Model], values: dict[Any, dict[str, Any]]) -> None:
    """UPDATE ... SET field = CASE pk WHEN ... END ... WHERE pk IN (...): each row its own
    values, in one statement per batch of rows (every row sets the same fields). Written out
    because bulk_update composes a Case/When per value in the ORM, which costs more CPU than
    the statement itself once there are hundreds of rows (bench_notify)."""
    if not values:
        return
    meta, using = model._meta, router.db_for_write(model)
    connection, quote = connections[using], connections[using].ops.quote_name
    names = list(next(iter(values.values())))
    fields = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in names]
    pks, pk_column = list(values), quote(meta.pk.attname)  # an auto "id": attname is the column
    for start in range(0, len(pks), UPDATE_BATCH):
        batch = pks[start : start + UPDATE_BATCH]
        assignments, params = [], []
        for field in fields:
            whens = " ".join(["WHEN %s THEN %s"] * len(batch))
            column = quote(str(field.get_attname_column()[1]))
            assignments.append(f"{column} = CASE {pk_column} {whens} END")
            for pk in batch:
                params += [pk, field.get_db_prep_save(values[pk][field.name], connection)]
        sql = (
            f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} "
            f"WHERE {pk_column} IN ({', '.join(['%s'] * len(batch))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *batch])


def first_raw(model: type[M], sql: str, params: Sequence[Any]) -> M | None:
    """The first row of a written-out read (a hot page's), as a model, or None."""
    return next(iter(model._default_manager.raw(sql, params)), None)
