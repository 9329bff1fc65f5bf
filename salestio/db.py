"""Database helpers every app shares: rows built and inserted in bulk without the ORM's
per-value bookkeeping, inserts whose unique constraint is the claim, per-row updates in one
statement, and written-out reads: rows as models without RawQuerySet's per-query work, and a
page's several reads in one round trip (read_together), prepared once on PostgreSQL."""

import contextlib
import functools
import hashlib
import itertools
import json
import operator
import re
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Generic, TypeVar, cast

from django.conf import settings
from django.db import connections, models, router
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


def build(model: type[M], **values: Any) -> M:
    """model(**values), unsaved. `values` are by attname (shop_id), or a related object by its
    field's name (shop), which is then cached on the object as assigning it would."""
    blueprint = _blueprint(model)
    attributes = dict(blueprint.constants)
    for attname, factory in blueprint.factories:
        if attname not in values:
            attributes[attname] = factory()
    related = {}
    for name, value in values.items():
        if name in blueprint.relations:
            attname, target = blueprint.relations[name]
            attributes[attname], related[name] = getattr(value, target), value
        elif name in blueprint.attnames:
            attributes[name] = value
        else:
            raise TypeError(f"{model.__name__} has no field {name!r}")
    obj = _instance(model, attributes)
    obj._state.fields_cache.update(related)
    return obj


def _instance(model: type[M], attributes: dict[str, Any]) -> M:
    """model(**attributes) with every field's attname: written into its __dict__ as
    Model.__init__ would write it, whose setattr() per field (ForeignKey descriptors included)
    costs more than the INSERT of a job run's rows (bench_notify). While any model's init
    signals have receivers (none of ours has), through __init__, which sends them."""
    if pre_init.receivers or post_init.receivers:
        return model(**attributes)
    obj = model.__new__(model)
    obj.__dict__.update(attributes)
    obj._state = ModelState()
    return obj


@dataclass(frozen=True)
class _Blueprint:
    """A model's fields for build(): the defaults computed once (constants: Django warns of
    mutable ones), the callable ones (dict, timezone.now) to call for each object, and each
    ForeignKey's attname and target attname by the field's name."""

    attnames: frozenset[str]
    constants: dict[str, Any]
    factories: list[tuple[str, Callable[[], Any]]]
    relations: dict[str, tuple[str, str]]


@functools.cache
def _blueprint(model: type[models.Model]) -> _Blueprint:
    fields = model._meta.concrete_fields
    callable_default = [field.has_default() and callable(field.default) for field in fields]
    return _Blueprint(
        attnames=frozenset(str(field.attname) for field in fields),
        constants={
            str(field.attname): field.get_default()
            for field, per_row in zip(fields, callable_default, strict=True)
            if not per_row
        },
        factories=[
            (str(field.attname), field.default)
            for field, per_row in zip(fields, callable_default, strict=True)
            if per_row
        ],
        relations={
            field.name: (str(field.attname), str(field.target_field.attname))  # type: ignore[attr-defined]
            for field in fields
            if field.many_to_one
        },
    )


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
    return _saved_by_key(objs, unique, lambda keys: _insert_rows(objs, _NOTHING, keys))


def insert_all(objs: Sequence[M]) -> None:
    """INSERT ... VALUES (...), ... RETURNING id for new objects, which get their ids."""
    # RETURNING gives the rows in VALUES' order, as bulk_create relies on too.
    _saved([(obj, pk) for obj, (pk,) in zip(objs, _insert_rows(objs, "", []), strict=True)])


def insert_all_then(
    objs: Sequence[M], *, unique: tuple[str, ...], then: str, params: Sequence[Any]
) -> None:
    """insert_all(), and `then` in the same statement, one round trip instead of two: a
    statement that reads the new rows as `inserted` (their id and the `unique` fields, which
    tell the rows apart and give the objects their ids), as a data-modifying WITH (PostgreSQL
    only). Per batch of rows the database takes, `then` seeing that batch's rows."""
    around = f"WITH inserted AS ({{insert}}), after_insert AS ({then}) SELECT * FROM inserted"
    _saved_by_key(objs, unique, lambda keys: _insert_rows(objs, "", keys, (around, params)))


def insert_all_unless_conflict_and_read(
    objs: Sequence[M],
    *,
    unique: tuple[str, ...],
    read: str,
    params: Sequence[Any],
    planned_once: bool = False,
) -> list[tuple[M, tuple[Any, ...]]]:
    """insert_all_unless_conflict(), and `read` in the same statement, one round trip instead
    of two (PostgreSQL only): a SELECT from the rows just inserted, `inserted` (their id and the
    `unique` fields), that answers one row per row inserted, its id and `unique` fields first
    and then what it reads. Each object inserted, saved, with the rest of its row.
    `planned_once`: the caller's word that `read` finds its rows by their indexes whatever the
    tables hold, so the statement is prepared once per connection (execute_planned_once)."""
    around = f"WITH inserted AS ({{insert}}) {read}"
    return _saved_with_rest(
        objs,
        unique,
        lambda keys: _insert_rows(objs, _NOTHING, keys, (around, params), planned_once),
    )


_NOTHING = "ON CONFLICT DO NOTHING"


def _saved_by_key(
    objs: Sequence[M],
    unique: tuple[str, ...],
    insert: Callable[[list["models.Field[Any, Any]"]], list[tuple[Any, ...]]],
) -> list[M]:
    """The objects whose rows `insert` (given the `unique` fields to return) put in, saved."""
    return [obj for obj, _ in _saved_with_rest(objs, unique, insert)]


def _saved_with_rest(
    objs: Sequence[M],
    unique: tuple[str, ...],
    insert: Callable[[list["models.Field[Any, Any]"]], list[tuple[Any, ...]]],
) -> list[tuple[M, tuple[Any, ...]]]:
    """_saved_by_key(), each object with the rest of its row: what `insert` answers after the
    id and the `unique` fields."""
    if not objs:
        return []
    meta = objs[0]._meta
    keys = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in unique]
    key_of = _key_reader([str(field.attname) for field in keys])
    by_key = {key_of(obj): obj for obj in objs}
    width = 1 + len(keys)
    found = [(by_key[tuple(row[1:width])], row[0], row[width:]) for row in insert(keys)]
    _saved([(obj, pk) for obj, pk, _ in found])
    return [(obj, rest) for obj, _, rest in found]


def _key_reader(attnames: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A tuple of these attributes of an object (attrgetter gives a bare value for one)."""
    if len(attnames) == 1:
        read_one = operator.attrgetter(attnames[0])
        return lambda obj: (read_one(obj),)
    return operator.attrgetter(*attnames) if attnames else lambda obj: ()


def _insert_rows(
    objs: Sequence[models.Model],
    conflict: str,
    returning: list["models.Field[Any, Any]"],
    around: tuple[str, Sequence[Any]] | None = None,
    planned_once: bool = False,
) -> list[tuple[Any, ...]]:
    """The INSERT that bulk_create and insert queries compose, written out: their per-value
    bookkeeping costs more CPU than the statement itself for a job run's rows (bench_notify).
    Returns the id and the `returning` columns of each row inserted. `around`: the statement
    the INSERT goes into as `{insert}`, and its parameters after the INSERT's; it answers the
    rows (insert_all_then(), insert_all_unless_conflict_and_read()).

    Rows as one JSON parameter make a statement whose text is the same for any number of rows:
    prepared once per connection (execute_planned_once), as a plain INSERT has no plan to
    choose. Not inside another statement, unless the caller says its plan cannot go wrong
    (`planned_once`): a generic plan of a join, made while a table was small, would stay a scan
    of the whole table as it grows (planned anew, it follows the index)."""
    if not objs:
        return []
    connection, shape, preparers = _inserting(objs, tuple(field.name for field in returning))
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(objs), shape.size):
        sql, params, as_json = _insert_statement(
            shape,
            objs[start : start + shape.size],
            preparers,
            connection,
            conflict,
            planned_once=planned_once,
        )
        if around is not None:
            sql = around[0].replace("{insert}", sql)
            params += around[1]
        with connection.cursor() as cursor:
            if as_json and (around is None or planned_once):
                execute_planned_once(cursor, sql, params)
            else:
                cursor.execute(sql, params)
            rows.extend(cursor.fetchall())
    return rows


def insert_sql(
    objs: Sequence[models.Model], *, unique: tuple[str, ...], only: str
) -> tuple[str, list[Any], bool]:
    """The INSERT of the rows of `objs` (as many as one statement takes) for the caller's own
    statement, as SQL and parameters: of the rows, those for which `only` holds (a condition
    on their columns by name), returning each one's id and `unique` fields (saved_from() saves
    the objects whose rows the caller's statement answers so). Third, whether the rows went as
    one JSON parameter: then the SQL is the same for any number of rows (execute_planned_once)."""
    connection, shape, preparers = _inserting(objs, unique)
    if len(objs) > shape.size:
        raise ValueError(f"{len(objs)} rows of {type(objs[0]).__name__} need more statements")
    return _insert_statement(shape, objs, preparers, connection, "", only=only)


def saved_from(
    objs: Sequence[M], *, unique: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> list[M]:
    """The objects whose rows are among `rows` (each an id and the `unique` fields), saved."""
    return _saved_by_key(objs, unique, lambda keys: list(rows))


def _inserting(
    objs: Sequence[models.Model], returning: tuple[str, ...]
) -> tuple[Any, "_InsertShape", list["_Preparer"]]:
    """The connection that inserts the objects' rows, their statement's shape, and a preparer
    of each column's values for this call (it remembers the last value it prepared)."""
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    shape = _insert_shape(model, returning, using)
    return connection, shape, [_Preparer(field, connection) for field in shape.fields]


def _insert_statement(
    shape: "_InsertShape",
    batch: Sequence[models.Model],
    preparers: list["_Preparer"],
    connection: Any,
    conflict: str,
    *,
    only: str = "",
    planned_once: bool = False,
) -> tuple[str, list[Any], bool]:
    """One statement's INSERT of `batch`, its parameters, and whether the rows go as JSON.
    `planned_once`: the statement is to be prepared, so even one row goes as JSON, whose
    planning is paid once (_JSON_ROWS_FROM)."""
    by_field = [[reader(obj) for obj in batch] for reader in shape.readers]
    as_json = shape.as_json
    # Filtered, the rows are a subquery, whose VALUES are not typed by the columns they go to:
    # the JSON array's casts type them, however few.
    fewest = 1 if only or planned_once else _JSON_ROWS_FROM
    as_rows = as_json.rows(by_field, connection) if as_json and len(batch) >= fewest else None
    source, params = as_rows or _values(by_field, preparers, typed=shape.types if only else None)
    if only:
        source = f"SELECT * FROM ({source}) AS given_row({shape.columns}) WHERE {only}"
    return f"{shape.insert} {source} {conflict} RETURNING {shape.back}", params, bool(as_rows)


@dataclass(frozen=True)
class _InsertShape:
    """What _insert_rows() writes for a model, the same for every call: composed once."""

    fields: "list[models.Field[Any, Any]]"
    readers: list[Callable[[models.Model], Any]]
    columns: str  # the columns given, in order
    types: list[str]  # their placeholders typed as the columns are, for _values()
    insert: str  # INSERT INTO table (columns)
    back: str  # the columns RETURNING answers
    size: int  # rows per statement
    as_json: "_JsonRows | None"


@functools.cache
def _insert_shape(
    model: type[models.Model], returning: tuple[str, ...], using: str
) -> _InsertShape:
    connection = connections[using]
    meta, quote = model._meta, connection.ops.quote_name
    fields = [field for field in meta.local_concrete_fields if field is not meta.pk]
    back = [meta.pk, *(meta.get_field(name) for name in returning)]
    columns = ", ".join(quote(str(field.column)) for field in fields)
    return _InsertShape(
        fields=fields,
        readers=[_reader(field) for field in fields],
        columns=columns,
        types=[_typed_placeholder(field, connection) for field in fields],
        insert=f"INSERT INTO {quote(meta.db_table)} ({columns})",
        back=", ".join(quote(str(field.column)) for field in back),  # type: ignore[union-attr]
        size=max(1, (connection.features.max_query_params or 30_000) // len(fields)),
        as_json=_JsonRows.of(fields, connection),
    )


def _typed_placeholder(field: "models.Field[Any, Any]", connection: Any) -> str:
    """%s, cast to the column's type but for text: a cast to varchar(n) would cut a too-long
    value short, where assigning it fails as it should."""
    if _AS_IS.get(field.get_internal_type()) is str:
        return "%s"
    return f"CAST(%s AS {field.db_type(connection)})"


def _values(
    read: list[list[Any]], preparers: list["_Preparer"], *, typed: list[str] | None = None
) -> tuple[str, list[Any]]:
    """VALUES (...), ... and a parameter per value, column by column: most columns need no
    preparing at all (_Preparer.column()). `typed`: each column's placeholder, where VALUES
    must say its type (a subquery's)."""
    by_column = [prepare.column(values) for values, prepare in zip(read, preparers, strict=True)]
    row = "(" + ", ".join(typed or ["%s"] * len(read)) + ")"
    params = [value for values in zip(*by_column, strict=True) for value in values]
    return f"VALUES {', '.join([row] * len(read[0]))}", params


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


# A single row goes as VALUES: the JSON array's unpacking and ordering take more planning than
# its few parameters take adapting (a single email), unless the statement is planned once.
_JSON_ROWS_FROM = 2


class _JsonRows:
    """On PostgreSQL the rows go as one parameter, a JSON array of rows, which the statement
    unpacks (in order: RETURNING answers in the rows' order, as insert_all() needs): a
    parameter per value cost more to adapt and to parse than the INSERT's own work for a job
    run's rows (bench_notify). For the fields whose values have a JSON form that converts to
    the column exactly (text as text, numbers, booleans, moments as ISO 8601, a JSONField's
    value as the JSON text Django would write); any other value sends the rows as VALUES."""

    # The fields whose values go in the array: the plain types of _AS_IS (str: assigned as
    # text, which fails on a too-long value where a cast would cut it short), moments and JSON.
    _KINDS: dict[str, type | None] = {**_AS_IS, "DateTimeField": None, "JSONField": None}

    def __init__(self, fields: "list[models.Field[Any, Any]]", connection: Any) -> None:
        self.fields = fields
        self.kinds = [field.get_internal_type() for field in fields]
        self.select = (
            "SELECT "
            + ", ".join(
                self._value_sql(index, field, connection) for index, field in enumerate(fields)
            )
            + " FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS given(r, n) ORDER BY n"
        )

    def _value_sql(self, index: int, field: "models.Field[Any, Any]", connection: Any) -> str:
        kind = field.get_internal_type()
        if kind == "JSONField" and _as_json_itself(field):
            return f"NULLIF(r->{index}, 'null'::jsonb)"  # None: SQL NULL, as Django writes it
        if self._KINDS[kind] is str:
            return f"r->>{index}"
        return f"(r->>{index})::{field.db_type(connection)}"

    @classmethod
    def of(cls, fields: "list[models.Field[Any, Any]]", connection: Any) -> "_JsonRows | None":
        if connection.vendor != "postgresql":
            return None
        if any(field.get_internal_type() not in cls._KINDS for field in fields):
            return None
        return cls(fields, connection)

    def rows(self, read: list[list[Any]], connection: Any) -> tuple[str, list[Any]] | None:
        """The SELECT of the rows and its parameter, or None when a value has no JSON form."""
        columns = []
        for field, kind, values in zip(self.fields, self.kinds, read, strict=True):
            column = self._column(field, kind, values, connection)
            if column is None:
                return None
            columns.append(column)
        # Each row a tuple, which json.dumps writes as the array it is.
        return self.select, [json.dumps(list(zip(*columns, strict=True)))]

    def _column(
        self, field: "models.Field[Any, Any]", kind: str, values: list[Any], connection: Any
    ) -> list[Any] | None:
        if kind == "JSONField":
            # Another type may be an expression (Value(None, ...)), which has no JSON form.
            unusual = not _only_of(_JSON_TYPES, values)
            if unusual and any(hasattr(v, "resolve_expression") for v in values):
                return None
            if _as_json_itself(field):  # in the array as it is: dumped once with the rows
                return values
            encoder, prepare = field.encoder, field.get_prep_value  # type: ignore[attr-defined]
            return [None if v is None else json.dumps(prepare(v), cls=encoder) for v in values]
        if kind == "DateTimeField":
            return self._moments(field, values, connection)
        plain = self._KINDS[kind]
        if _only_of({plain, type(None)}, values):
            return values
        if plain is str:  # a TextChoices member: its value
            values = [str.__str__(v) if isinstance(v, str) else v for v in values]
            if _only_of({str, type(None)}, values):
                return values
        return None

    def _moments(
        self, field: "models.Field[Any, Any]", values: list[Any], connection: Any
    ) -> list[Any] | None:
        """ISO 8601 of each moment as the field prepares it (a call's `now`, the same object in
        every row, prepared once)."""
        found: list[Any] = []
        last: Any = None
        for value in values:
            if value is not None and value is not last:
                last, moment = value, field.get_db_prep_save(value, connection)
                if not isinstance(moment, datetime):
                    return None
                text = moment.isoformat()
            found.append(None if value is None else text)
        return found


# A JSONField's values of these types are no expression: told apart without a lookup of
# resolve_expression on each value.
_JSON_TYPES = frozenset({dict, list, str, int, float, bool, type(None)})


def _only_of(types: set[Any] | frozenset[Any], values: list[Any]) -> bool:
    """Every value is exactly of one of `types` (no subclass): one set test for a job run's
    column instead of a type check per value."""
    return types.issuperset(map(type, values))


def _as_json_itself(field: "models.Field[Any, Any]") -> bool:
    """A JSONField whose value Django writes as json.dumps(value): no encoder, no preparing."""
    plain = type(field).get_prep_value is models.JSONField.get_prep_value
    return plain and field.encoder is None  # type: ignore[attr-defined]


# The pre_save() of these only reads the attribute, unless the field sets its value (auto_now).
_READS_ONLY = {models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save}


def _reader(field: "models.Field[Any, Any]") -> Callable[[models.Model], Any]:
    """field.pre_save(obj, add=True), as an attribute read where that is all it does."""
    sets_its_value = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    if type(field).pre_save in _READS_ONLY and not sets_its_value:
        return operator.attrgetter(str(field.attname))
    return functools.partial(_pre_save_added, field)


def _pre_save_added(field: "models.Field[Any, Any]", obj: models.Model) -> Any:
    return field.pre_save(obj, True)


class _Preparer:
    """One field's get_db_prep_save(), for the values of many rows, without its cost where the
    answer is known: a plain value of an _AS_IS type goes as it is, and the same object as the
    row before (a call's `now`, a default) is prepared once."""

    def __init__(self, field: "models.Field[Any, Any]", connection: Any) -> None:
        self.field, self.connection = field, connection
        self.as_is = _AS_IS.get(field.get_internal_type())
        self.last: Any = self  # no value yet: nothing is this object
        self.last_prepared: Any = None

    def column(self, values: list[Any]) -> list[Any]:
        """The values of one column, prepared; as they are when all of them may go so."""
        as_is = self.as_is
        if as_is is not None and _only_of({as_is, type(None)}, values):
            return values
        return [self(value) for value in values]

    def __call__(self, value: Any) -> Any:
        if self.as_is is not None and (value is None or type(value) is self.as_is):
            return value
        if value is not self.last:
            prepared = self.field.get_db_prep_save(value, self.connection)
            if isinstance(prepared, str):
                # A TextChoices member is a str subclass, which psycopg2 adapts through its
                # slow path (an MRO walk for every value): a plain copy costs nothing.
                prepared = str.__str__(prepared)
            self.last_prepared, self.last = prepared, value
        return self.last_prepared


def _saved(inserted: Sequence[tuple[models.Model, Any]]) -> None:
    """Each object's row went in with this primary key (the objects are of one model)."""
    if inserted:
        using = router.db_for_write(type(inserted[0][0]))
    for obj, pk in inserted:
        obj.pk, obj._state.adding, obj._state.db = pk, False, using


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
    """The first row of a written-out read (a hot page's), as a model, or None. The read names
    its columns and finds its row by a unique key: it is prepared once per connection."""
    return next(iter(read_models(model, sql, params, planned_once=True)), None)


@dataclass(frozen=True)
class Read(Generic[M, T]):
    """A written-out read of `model` rows and what its caller makes of them: run() alone, or
    read_together() with others in one round trip. `sql` selects `columns` (every column of
    the model when empty), the primary key among them; a selected column that is no field
    becomes an attribute (through read_together, as its JSON has it). `shape` gets the rows in
    no promised order (sort in it where order matters) and may read more (a fallback's query)."""

    model: type[M]
    sql: str
    params: Sequence[Any]
    shape: Callable[[list[M]], T]
    columns: tuple[str, ...] = ()

    def run(self) -> T:
        return self.shape(read_models(self.model, self.sql, self.params))

    def selected(self) -> tuple[str, ...]:
        return self.columns or _every_column(self.model)


@functools.cache
def _every_column(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(str(field.column) for field in model._meta.concrete_fields)


def read_together(*reads: Read[Any, Any]) -> list[Any]:
    """Each read's shape(rows), the reads made in one round trip: a page's few small reads cost
    a round trip each, more than the database takes to answer them (bench_dashboard). Each one
    becomes a subquery answering its rows as one JSON array of arrays, decoded into what the
    driver answers for the column (the JSON text of a JSON column: cast in the SQL), then
    converted as the ORM converts it. On other databases than PostgreSQL and SQLite each read
    runs on its own."""
    using = router.db_for_read(reads[0].model)
    if connections[using].vendor not in _AGGREGATES:
        return [read.run() for read in reads]
    answers = _taken_along(reads, using) or _answers(reads, using)
    return [
        read.shape(_models_from_json(read, answer, using))
        for read, answer in zip(reads, answers, strict=True)
    ]


def read_along(first: Read[Any, T], along: Sequence[Read[Any, Any]]) -> T:
    """first.run(), with `along` read in the same round trip when `first` finds something:
    their answers wait for a read_together(*along) in the same scope (reading_along(): a
    request), which then makes no query. A page's reads go with the request's shop read this
    way (ShopifySessionMiddleware, page_reads). Only reads equal in model, statement, columns
    and parameters take the answers: a page that asks for another shop's rows, or for other
    rows, reads them itself. The answers are as of this read: a write before the read_together
    makes them stale (drop_read_along())."""
    waiting = _waiting.get()
    if waiting is None:
        raise RuntimeError("read_along() outside reading_along(): its answers would outlive it")
    using = router.db_for_read(first.model)
    if connections[using].vendor not in _AGGREGATES or not along:
        return first.run()
    answer, *others = _answers((first, *along), using)
    found = first.shape(_models_from_json(first, answer, using))
    if found:
        waiting.append(_Waiting(tuple(along), tuple(others), using))
    return found


@contextlib.contextmanager
def reading_along() -> Iterator[None]:
    """The scope of read_along()'s answers: those not taken by its end are dropped, never
    taken by the next request the thread serves."""
    token = _waiting.set([])
    try:
        yield
    finally:
        _waiting.reset(token)


def drop_read_along() -> None:
    """Forget this scope's answers not taken yet (a write made them stale)."""
    waiting = _waiting.get()
    if waiting:
        waiting.clear()


@dataclass(frozen=True)
class _Waiting:
    reads: tuple[Read[Any, Any], ...]
    answers: tuple[Any, ...]
    using: str


# The answers read along in the current scope and not taken yet; None outside any scope.
_waiting: ContextVar[list[_Waiting] | None] = ContextVar("salestio_db_waiting", default=None)


def _taken_along(reads: Sequence[Read[Any, Any]], using: str) -> tuple[Any, ...] | None:
    waiting = _waiting.get() or []
    for at, along in enumerate(waiting):
        if along.using == using and _same_reads(along.reads, reads):
            return waiting.pop(at).answers
    return None


def _same_reads(these: Sequence[Read[Any, Any]], those: Sequence[Read[Any, Any]]) -> bool:
    return len(these) == len(those) and all(
        one.sql == other.sql
        and one.model is other.model
        and list(one.params) == list(other.params)
        and one.selected() == other.selected()
        for one, other in zip(these, those, strict=True)
    )


def _answers(reads: Sequence[Read[Any, Any]], using: str) -> tuple[Any, ...]:
    """Each read's rows as one JSON text (None for none), in one statement."""
    sql = _together_sql(using, tuple((read.model, read.sql, read.selected()) for read in reads))
    with connections[using].cursor() as cursor:
        execute_planned_once(cursor, sql, [param for read in reads for param in read.params])
        return tuple(cursor.fetchone())


# Per database: the aggregate of a subquery's rows into one JSON text, and of one row's values.
_AGGREGATES = {
    "postgresql": "CAST(json_agg(json_build_array({values})) AS text)",
    "sqlite": "json_group_array(json_array({values}))",
}


@functools.cache
def _together_sql(
    using: str, reads: tuple[tuple[type[models.Model], str, tuple[str, ...]], ...]
) -> str:
    connection = connections[using]
    return "SELECT " + ", ".join(
        _as_json(model, sql, columns, connection) for model, sql, columns in reads
    )


def _as_json(model: type[models.Model], sql: str, columns: tuple[str, ...], connection: Any) -> str:
    quote, fields = connection.ops.quote_name, _fields_by_column(model)
    values = ", ".join(
        f"CAST(r.{quote(column)} AS text)"
        if connection.vendor == "postgresql" and _is_json(fields.get(column))
        else f"r.{quote(column)}"
        for column in columns
    )
    aggregate = _AGGREGATES[connection.vendor].format(values=values)
    return f"(SELECT {aggregate} FROM ({sql}) AS r)"


# The statements each PostgreSQL connection has prepared, by the driver's connection: a new
# connection (a reconnect, another thread) starts with none. Prepared statements outlive a
# rolled-back transaction, so the record stays true.
_PREPARED: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()


def execute_planned_once(cursor: Any, sql: str, params: Sequence[Any]) -> None:
    """cursor.execute(sql, params); on PostgreSQL a prepared statement, planned once per
    connection: planning the dashboard's combined read took longer than running it. Its plan
    is generic (settings.py sets plan_cache_mode), fine for a read that follows its indexes
    whatever the shop. Behind pgbouncer in transaction mode a connection's prepared statements
    may be on another server connection, so there the statement runs as it is."""
    connection = cursor.db
    if connection.vendor != "postgresql" or settings.PGBOUNCER:
        cursor.execute(sql, params)
        return
    prepared = _PREPARED.setdefault(connection.connection, set())
    name = "salestio_" + hashlib.sha256(sql.encode()).hexdigest()[:24]
    if name not in prepared:
        cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
        prepared.add(name)
    arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
    cursor.execute(f"EXECUTE {name}{arguments}", params)


def given_rows(
    rows: Sequence[Sequence[Any]], types: Sequence[str], connection: Any
) -> tuple[str, list[Any]]:
    """Rows for FROM, IN or INSERT, as SQL and its parameters, the columns named column1,
    column2, … (as VALUES names them on PostgreSQL and SQLite). On PostgreSQL unnest() of an
    array per column (`types`: each column's type there), a text the same for any number of
    rows, so a statement made with it is prepared once (execute_planned_once); elsewhere VALUES,
    a placeholder per value."""
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{kind}[]" for kind in types)
        names = ", ".join(f"column{n}" for n in range(1, len(types) + 1))
        columns = [[row[n] for row in rows] for n in range(len(types))]
        return f"SELECT * FROM unnest({arrays}) AS given({names})", columns
    row = "(" + ", ".join(["%s"] * len(types)) + ")"
    return f"VALUES {', '.join([row] * len(rows))}", [value for row in rows for value in row]


def any_of(values: Sequence[Any], kind: str, connection: Any) -> tuple[str, list[Any]]:
    """`= ANY(%s::kind[])` and the values as its one array on PostgreSQL (a text the same for
    any number of values, see given_rows()); elsewhere `IN (%s, …)`. Goes after a column."""
    if connection.vendor == "postgresql":
        return f"= ANY(%s::{kind}[])", [list(values)]
    return f"IN ({', '.join(['%s'] * len(values))})", list(values)


def _numbered(sql: str) -> str:
    """A statement with the driver's placeholders (%s, %% for a %) in PREPARE's ($1, $2, …)."""
    numbers = itertools.count(1)
    return re.sub(r"%[s%]", lambda m: "%" if m[0] == "%%" else f"${next(numbers)}", sql)


def _models_from_json(read: Read[M, Any], answer: str | None, using: str) -> list[M]:
    vendor = connections[using].vendor
    rows = _JSON_LOADS.get(vendor, json.loads)(answer) if answer else []
    columns = read.selected()
    decoders = _json_decoders(read.model, columns, vendor)
    if decoders:
        for row in rows:
            for index, decode in decoders:
                if row[index] is not None:
                    row[index] = decode(row[index])
    return models_from_rows(read.model, columns, rows, using=using)


# How each database's JSON answers are read: PostgreSQL answers numeric columns as Decimal, so
# are their JSON numbers read there (one decoder: json.loads with parse_float makes one a call).
_JSON_LOADS: dict[str, Callable[[str], Any]] = {
    "postgresql": json.JSONDecoder(parse_float=Decimal).decode
}


# What a PostgreSQL driver answers for a column of these types, from the value's JSON (ISO 8601
# texts for moments, numbers for numbers); the other types' JSON is what the driver answers.
# SQLite's driver answers text and numbers, as its JSON does.
_FROM_POSTGRESQL_JSON: dict[str, Callable[[Any], Any]] = {
    "DateTimeField": datetime.fromisoformat,
    "DateField": date.fromisoformat,
    "TimeField": time.fromisoformat,
    "DecimalField": Decimal,
    "FloatField": float,
}
_NOT_IN_JSON = {"BinaryField", "DurationField"}  # bytea and interval texts: no decoder here


@functools.cache
def _json_decoders(
    model: type[models.Model], columns: tuple[str, ...], vendor: str
) -> list[tuple[int, Callable[[Any], Any]]]:
    fields, found = _fields_by_column(model), []
    for index, column in enumerate(columns):
        kind = fields[column].get_internal_type() if column in fields else ""
        if kind in _NOT_IN_JSON:
            raise ValueError(f"{model._meta.label}.{column} cannot be read through JSON")
        if vendor == "postgresql" and kind in _FROM_POSTGRESQL_JSON:
            found.append((index, _FROM_POSTGRESQL_JSON[kind]))
    return found


@functools.cache
def _fields_by_column(model: type[models.Model]) -> dict[str, "models.Field[Any, Any]"]:
    return {str(field.column): field for field in model._meta.concrete_fields}


def _is_json(field: "models.Field[Any, Any] | None") -> bool:
    return field is not None and field.get_internal_type() == "JSONField"


def read_models(
    model: type[M], sql: str, params: Sequence[Any], *, planned_once: bool = False
) -> list[M]:
    """model.objects.raw(sql, params), read with a plain cursor: the rows as models, each value
    converted as the ORM converts it, and a selected column that is no field set as an
    attribute. RawQuerySet works out its columns, converters and init order again for every
    query, which costs about as much as a dashboard's round trip (bench_dashboard).
    `planned_once`: prepared once per connection (execute_planned_once), for a read whose plan
    cannot go wrong and whose columns are named (a prepared `SELECT *` fails once a migration
    adds a column: "cached plan must not change result type")."""
    using = router.db_for_read(model)
    with connections[using].cursor() as cursor:
        if planned_once:
            execute_planned_once(cursor, sql, params)
        else:
            cursor.execute(sql, params)
        columns = tuple(column[0] for column in cursor.description)
        rows = cursor.fetchall()
    return models_from_rows(model, columns, rows, using=using)


def models_from_rows(
    model: type[M], columns: tuple[str, ...], rows: Sequence[Sequence[Any]], *, using: str
) -> list[M]:
    """Rows of `columns` (the primary key among them) as models, read from database `using`."""
    reading = _reading(model, columns, using)
    connection = connections[using]
    through_init = pre_init.receivers or post_init.receivers
    load = _loaded if reading.own_from_db or through_init else _instance_from
    found = []
    for row in rows:
        values = [row[index] for index in reading.positions]
        for at, column, converters in reading.converters:
            for convert in converters:
                values[at] = convert(values[at], column, connection)
        instance = load(model, reading, values, using)
        for index, name in reading.extras:
            setattr(instance, name, row[index])
        found.append(instance)
    return found


def _instance_from(model: type[M], reading: "_Reading", values: list[Any], using: str) -> M:
    """What _loaded() answers for a model without a from_db() of its own and while no init
    signal has receivers, without its checks per row: a page reads dozens of rows."""
    obj = model.__new__(model)
    obj.__dict__.update(zip(reading.names, values, strict=True))
    obj._state = state = ModelState()
    state.adding, state.db = False, using
    return obj


def _loaded(model: type[M], reading: "_Reading", values: list[Any], using: str) -> M:
    """model.from_db(using, names, values), through _instance() for a model without a
    from_db() of its own. A field left out of a partial read is deferred, as from_db leaves it:
    not in the instance's __dict__ (Model.__init__ skips a DEFERRED value). While init signals
    have receivers, _instance() would fill the missing fields with defaults: from_db then."""
    if reading.own_from_db or (reading.partial and (pre_init.receivers or post_init.receivers)):
        return model.from_db(using, reading.names, values)
    obj = _instance(model, dict(zip(reading.names, values, strict=True)))
    obj._state.adding, obj._state.db = False, using
    return obj


@dataclass(frozen=True)
class _Reading:
    """How rows of some columns become models: the fields' attnames in the model's order (what
    Model.from_db takes), each one's index in a row, the converters of those that have any (by
    their index among the fields) and the columns that are no field."""

    names: list[str]
    positions: list[int]
    converters: list[tuple[int, Any, list[Any]]]
    extras: list[tuple[int, str]]
    own_from_db: bool  # the model has a from_db() of its own
    partial: bool  # some fields are not read


@functools.cache
def _reading(model: type[models.Model], columns: tuple[str, ...], using: str) -> _Reading:
    connection = connections[using]
    meta = model._meta
    if meta.pk.column not in columns:
        raise ValueError(f"a read of {meta.label} must select its primary key")
    fields = [field for field in meta.concrete_fields if field.column in columns]
    converters = []
    for at, field in enumerate(fields):
        column = field.get_col(meta.db_table)
        found = [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]
        if found:
            converters.append((at, column, found))
    known = {field.column for field in fields}
    return _Reading(
        names=[field.attname for field in fields],
        positions=[columns.index(field.column) for field in fields],
        converters=converters,
        extras=[(index, name) for index, name in enumerate(columns) if name not in known],
        own_from_db=model.from_db.__func__ is not models.Model.from_db.__func__,  # type: ignore[attr-defined]
        partial=len(fields) < len(meta.concrete_fields),
    )
