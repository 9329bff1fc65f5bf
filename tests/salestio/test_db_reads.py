"""Written-out reads (salestio.db): read_models() and read_together() answer the models a read
through the ORM answers, value for value and type for type, on this test run's database
(PostgreSQL in CI; SQLite with DATABASE_URL=sqlite://…), and read_together() is one round trip."""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import UsagePeriod
from notifications.models import Banner, BannerKind, Notification
from salestio.db import (
    Read,
    _numbered,
    drop_read_along,
    first_raw,
    read_along,
    read_models,
    read_together,
    reading_along,
)
from salestio.models import Shop
from salestio.services import SHOP_BY_DOMAIN_SQL
from tests.factories import MODEL_FACTORIES, make
from tests.strategies import json_values, moments

LABELS = sorted(MODEL_FACTORIES)


def as_read(obj: models.Model) -> list[tuple[str, Any, type]]:
    """Every column's value and type, as a model instance holds them."""
    return [
        (field.attname, getattr(obj, field.attname), type(getattr(obj, field.attname)))
        for field in obj._meta.concrete_fields
    ]


def the_row(model: type[models.Model], pk: Any) -> Read[Any, list[Any]]:
    return Read(model, f"SELECT * FROM {model._meta.db_table} WHERE id = %s", [pk], list)


def orm_read(obj: models.Model) -> list[tuple[str, Any, type]]:
    return as_read(type(obj)._base_manager.get(pk=obj.pk))


@pytest.mark.parametrize("label", LABELS)
def test_every_model_reads_as_the_orm_reads_it(shop: Shop, label: str) -> None:
    obj = make(label, shop)
    read = the_row(type(obj), obj.pk)

    [alone] = read.run()
    [[together]] = read_together(read)

    assert as_read(alone) == orm_read(obj)
    assert as_read(together) == orm_read(obj)


def test_the_shop_reads_as_the_orm_reads_it_with_its_tokens_decrypted(shop: Shop) -> None:
    [[together]] = read_together(the_row(Shop, shop.pk))
    assert as_read(together) == orm_read(shop)
    assert together.access_token == shop.access_token != ""


amounts = st.decimals(
    min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99"), places=2
)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(context=st.dictionaries(st.text(max_size=8), json_values, max_size=4), at=moments)
def test_json_and_moments_come_back_exact(
    shop: Shop, context: dict[str, Any], at: datetime
) -> None:
    """A banner's JSON context (unicode, quotes, nesting, big integers, floats) and a moment
    to the microsecond: what JSON could bend in the round trip through the aggregate."""
    banner = Banner.objects.create(
        shop=shop, kind=BannerKind.ACCOUNT_EXPIRED, context=context, raised_at=at
    )
    [[together]] = read_together(the_row(Banner, banner.pk))
    assert as_read(together) == orm_read(banner)
    banner.delete()


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(used=amounts, limit=st.none() | amounts)
def test_money_comes_back_exact(shop: Shop, used: Decimal, limit: Decimal | None) -> None:
    period = UsagePeriod.objects.create(
        shop=shop,
        starts_at=datetime(2026, 11, 1, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, tzinfo=UTC),
        currency="EUR",
        used=used,
        gmv_limit=limit,
        closed=True,
    )
    [[together]] = read_together(the_row(UsagePeriod, period.pk))
    assert as_read(together) == orm_read(period)
    assert together.used == used
    period.delete()


def test_reads_together_are_one_round_trip_and_answer_what_each_read_does(
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop()
    banners = [make("notifications.Banner", shop) for _ in range(3)]
    problem = make("notifications.Notification", shop)

    def newest_first(rows: list[Banner]) -> list[int]:
        return sorted((banner.pk for banner in rows), reverse=True)

    of_shop = "SELECT * FROM notifications_banner WHERE shop_id = %s"
    reads = (
        Read(Banner, of_shop, [shop.pk], newest_first),
        the_row(Notification, problem.pk),
        Read(Banner, of_shop, [-1], list),
    )

    read_together(*reads)  # PostgreSQL: the first run on a connection prepares it
    with CaptureQueriesContext(connection) as captured:
        answers = read_together(*reads)

    assert len(captured) == 1
    assert answers[0] == [banner.pk for banner in reversed(banners)]
    assert [as_read(row) for row in answers[1]] == [orm_read(problem)]
    assert answers[2] == []  # no row: the aggregate answers NULL on PostgreSQL
    assert answers[0] == reads[0].run()


def banner_ids(shop: Shop) -> Read[Banner, list[int]]:
    of_shop = "SELECT * FROM notifications_banner WHERE shop_id = %s"
    return Read(Banner, of_shop, [shop.pk], lambda rows: sorted(banner.pk for banner in rows))


def test_reads_along_go_in_the_first_reads_round_trip_and_the_same_reads_take_them(
    shop: Shop,
) -> None:
    banner = make("notifications.Banner", shop)
    with reading_along():  # PostgreSQL: the first run on a connection prepares it
        read_along(the_row(Shop, shop.pk), [banner_ids(shop)])

    with reading_along(), CaptureQueriesContext(connection) as captured:
        [found] = read_along(the_row(Shop, shop.pk), [banner_ids(shop)])
        [ids] = read_together(banner_ids(shop))

    assert len(captured) == 1
    assert as_read(found) == orm_read(shop)
    assert ids == [banner.pk] == banner_ids(shop).run()


def test_answers_read_along_are_taken_by_no_other_read_and_not_after_their_scope(
    make_shop: Callable[..., Shop],
) -> None:
    a, b = make_shop("a.myshopify.com"), make_shop("b.myshopify.com")
    banner_of_a, banner_of_b = make("notifications.Banner", a), make("notifications.Banner", b)
    read_together(banner_ids(b))  # PostgreSQL: the first run on a connection prepares it

    with reading_along():
        read_along(the_row(Shop, a.pk), [banner_ids(a)])
        with CaptureQueriesContext(connection) as of_b:
            assert read_together(banner_ids(b)) == [[banner_of_b.pk]]
    newer = make("notifications.Banner", a)
    with reading_along(), CaptureQueriesContext(connection) as of_a:
        [ids] = read_together(banner_ids(a))

    assert len(of_b) == 1  # another shop's rows: read by themselves
    assert len(of_a) == 1 and ids == [banner_of_a.pk, newer.pk]  # the scope's answers dropped


def test_nothing_waits_when_the_first_read_finds_nothing_or_the_answers_are_dropped(
    shop: Shop,
) -> None:
    banner = make("notifications.Banner", shop)
    read_together(banner_ids(shop))  # PostgreSQL: the first run on a connection prepares it

    with reading_along():
        assert read_along(the_row(Shop, -1), [banner_ids(shop)]) == []
        with CaptureQueriesContext(connection) as after_nothing:
            assert read_together(banner_ids(shop)) == [[banner.pk]]
        read_along(the_row(Shop, shop.pk), [banner_ids(shop)])
        drop_read_along()
        with CaptureQueriesContext(connection) as after_drop:
            assert read_together(banner_ids(shop)) == [[banner.pk]]

    assert (len(after_nothing), len(after_drop)) == (1, 1)


def test_reading_along_outside_a_scope_is_refused(shop: Shop) -> None:
    with pytest.raises(RuntimeError, match="outside reading_along"):
        read_along(the_row(Shop, shop.pk), [banner_ids(shop)])


def test_a_read_of_some_columns_leaves_the_others_deferred(shop: Shop) -> None:
    banner = Banner.objects.get(pk=make("notifications.Banner", shop).pk)
    read = Read(
        Banner,
        "SELECT id, kind, context FROM notifications_banner WHERE id = %s",
        [banner.pk],
        list,
        columns=("id", "kind", "context"),
    )
    [[together]] = read_together(read)

    assert (together.pk, together.kind, together.context) == (
        banner.pk,
        banner.kind,
        banner.context,
    )
    assert together.get_deferred_fields() == {"shop_id", "subject", "raised_at", "resolved_at"}


def test_a_column_that_is_no_field_is_an_attribute_as_the_database_answers_it(
    shop: Shop,
) -> None:
    banner = make("notifications.Banner", shop)
    sql = "SELECT *, 41 + 1 AS answer FROM notifications_banner WHERE id = %s"

    [alone] = read_models(Banner, sql, [banner.pk])

    assert alone.answer == 42  # type: ignore[attr-defined]


def test_a_read_without_the_primary_key_is_refused(shop: Shop) -> None:
    with pytest.raises(ValueError, match="primary key"):
        read_models(Banner, "SELECT kind FROM notifications_banner", [])


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"].split(" ", 1)[0] for query in captured.captured_queries]


def prepared_plans() -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE name LIKE 'salestio_%%'"
        )
        return cursor.fetchall()


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
# These tests close the connection: outside a test transaction, which that would end.
own_connection = pytest.mark.django_db(transaction=True)


@postgresql_only
@own_connection
def test_the_combined_read_is_planned_once_per_connection(shop: Shop) -> None:
    """Planning the dashboard's combined read took longer than running it: it is prepared on
    a connection's first run, then executed with its one generic plan; a new connection
    prepares it again."""
    read = the_row(Shop, shop.pk)
    connection.close()  # a new connection: nothing prepared yet
    with CaptureQueriesContext(connection) as first:
        read_together(read)
    with CaptureQueriesContext(connection) as later:
        for _ in range(3):
            [[again]] = read_together(read)

    assert statements(first) == ["PREPARE", "EXECUTE"]
    assert statements(later) == ["EXECUTE"] * 3
    assert again.pk == shop.pk
    assert prepared_plans() == [(4, 0)]  # settings: plan_cache_mode=force_generic_plan

    connection.close()
    with CaptureQueriesContext(connection) as reconnected:
        read_together(read)
    assert statements(reconnected) == ["PREPARE", "EXECUTE"]


@postgresql_only
@own_connection
def test_a_statement_prepared_in_a_rolled_back_transaction_is_still_there(shop: Shop) -> None:
    read = the_row(Shop, shop.pk)
    connection.close()
    with pytest.raises(RuntimeError), transaction.atomic():
        read_together(read)
        raise RuntimeError("rolled back")

    with CaptureQueriesContext(connection) as captured:
        [[row]] = read_together(read)
    assert statements(captured) == ["EXECUTE"] and row.pk == shop.pk


@postgresql_only
@own_connection
def test_behind_pgbouncer_nothing_is_prepared(shop: Shop, settings: Any) -> None:
    """In transaction mode the next statement may go to another server connection, where the
    statement was never prepared."""
    settings.PGBOUNCER = True
    connection.close()
    with CaptureQueriesContext(connection) as captured:
        [[row]] = read_together(the_row(Shop, shop.pk))
    assert statements(captured) == ["SELECT"] and row.pk == shop.pk
    assert prepared_plans() == []


def test_placeholders_are_numbered_for_prepare() -> None:
    sql = "SELECT %s, 'x%%' WHERE a = %s AND b LIKE '%%y' LIMIT %s"
    assert _numbered(sql) == "SELECT $1, 'x%' WHERE a = $2 AND b LIKE '%y' LIMIT $3"


@postgresql_only
@own_connection
def test_the_shop_read_of_every_request_is_prepared_once_and_outlives_a_new_column(
    shop: Shop,
) -> None:
    """Each embedded request finds its shop by domain (shop_from_session): prepared once per
    connection, its columns named, so a migration that adds a column to the shop table (a
    deploy, while this process still runs) does not break it as a prepared `SELECT *` breaks
    ("cached plan must not change result type")."""
    connection.close()
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            assert first_raw(Shop, SHOP_BY_DOMAIN_SQL, [shop.domain]) == shop
    assert statements(captured) == ["PREPARE", "EXECUTE", "EXECUTE", "EXECUTE"]

    table = Shop._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} ADD COLUMN added_by_a_later_release integer")
    try:
        again = first_raw(Shop, SHOP_BY_DOMAIN_SQL, [shop.domain])
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN added_by_a_later_release")
    assert again == shop and again.access_token == shop.access_token
