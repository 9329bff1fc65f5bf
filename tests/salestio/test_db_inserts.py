"""Written-out inserts (salestio.db): build() makes the object Model(**values) makes, and
insert_all() stores what save() stores, value for value, on this test run's database (on
PostgreSQL ROWS or more rows go as one JSON array, unpacked by the statement; elsewhere, and
fewer, as VALUES)."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import DataError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.models import Category, Email, Notification
from salestio.db import _JSON_ROWS_FROM as ROWS
from salestio.db import build, insert_all, insert_all_then, insert_sql, saved_from
from salestio.models import Shop
from tests.strategies import json_values, moments, texts


def as_stored(obj: Notification) -> list[tuple[str, Any, type]]:
    """Every column but the id as the ORM reads the row back, value and type."""
    row = Notification.objects.get(pk=obj.pk)
    return [
        (field.attname, getattr(row, field.attname), type(getattr(row, field.attname)))
        for field in Notification._meta.concrete_fields
        if not field.primary_key
    ]


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(key=texts, context=st.dictionaries(texts, json_values, max_size=4), at=moments)
def test_inserted_rows_are_stored_as_saved_ones(
    shop: Shop, key: str, context: dict[str, Any], at: datetime
) -> None:
    """Unicode, quotes, backslashes, nested JSON, big integers, floats and a moment to the
    microsecond: what the JSON array of rows could bend on its way into the columns."""
    values = {"category": Category.ACCOUNT_EXPIRED, "key": key, "context": context}
    saved = Notification.objects.create(shop=shop, created_at=at, closed_at=at, **values)
    built = [
        build(Notification, shop=shop, created_at=at, closed_at=at, **values) for _ in range(ROWS)
    ]
    insert_all(built)
    assert all(as_stored(row) == as_stored(saved) for row in built)


def test_insert_all_gives_each_object_the_id_of_its_own_row(shop: Shop) -> None:
    emails = [
        build(Email, shop=shop, category=Category.PLAN_LIMIT, recipient=f"{n}@example.com")
        for n in range(30)
    ]
    insert_all(emails)
    assert all(Email.objects.get(pk=e.pk).recipient == e.recipient for e in emails)
    assert all(e._state.db == "default" and not e._state.adding for e in emails)


def test_a_value_without_a_json_form_is_stored_as_the_orm_stores_it(shop: Shop) -> None:
    """A key given as a number: the rows go as VALUES, prepared by the field."""
    built = [
        build(Notification, shop=shop, category=Category.PLAN_LIMIT, key=n) for n in range(ROWS)
    ]
    insert_all(built)
    assert [Notification.objects.get(pk=row.pk).key for row in built] == [
        str(n) for n in range(ROWS)
    ]


@pytest.mark.postgres
def test_a_key_too_long_fails_instead_of_being_cut_short(shop: Shop) -> None:
    built = [
        build(Notification, shop=shop, category=Category.PLAN_LIMIT, key=f"{n}" + "k" * 200)
        for n in range(ROWS)
    ]
    with pytest.raises(DataError), transaction.atomic():
        insert_all(built)


@pytest.mark.postgres
def test_insert_all_then_runs_its_statement_on_the_rows_inserted(shop: Shop) -> None:
    item = Notification.objects.create(shop=shop, category=Category.PLAN_LIMIT, key="k")
    email = build(Email, shop=shop, category=Category.PLAN_LIMIT, recipient="a@example.com")
    then = (
        "UPDATE notifications_notification SET status = 'queued', email_id = inserted.id "
        "FROM inserted WHERE notifications_notification.id = %s"
    )
    insert_all_then([email], unique=("shop", "category"), then=then, params=[item.pk])
    item.refresh_from_db()
    assert item.email_id == email.pk is not None


def test_build_caches_the_related_object_and_gives_each_object_its_own_defaults(
    shop: Shop, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        first = build(Notification, shop=shop, category=Category.PLAN_LIMIT, key="a")
        second = build(Notification, shop_id=shop.pk, category=Category.PLAN_LIMIT, key="b")
        assert first.shop is shop and first.shop_id == shop.pk == second.shop_id
    assert first.context == {} and first.context is not second.context
    assert first.status == Notification.Status.PENDING and first._state.adding
    with pytest.raises(TypeError):
        build(Notification, shop=shop, nonsense=1)


@pytest.mark.postgres
@pytest.mark.parametrize("keys", [["a", "b"], [1, 2]], ids=["as JSON", "as VALUES"])
def test_insert_sql_inserts_the_rows_its_condition_keeps_and_saved_from_saves_them(
    shop: Shop, keys: list[Any]
) -> None:
    """Inside the caller's statement, filtered by a condition on the rows' columns: the rows
    a subquery, typed by the JSON array's casts, or (a key given as a number has no JSON form)
    by VALUES' own."""
    categories = [Category.PLAN_LIMIT, Category.ACCOUNT_EXPIRED]
    yesterday, now = timezone.now() - timedelta(days=1), timezone.now()
    built = [
        build(Notification, shop=shop, category=category, key=key, created_at=at)
        for category, key, at in zip(categories, keys, [yesterday, now], strict=True)
    ]
    unique = ("shop", "category")
    sql, params, _ = insert_sql(built, unique=unique, only="created_at < now() - interval '1 hour'")
    with connection.cursor() as cursor:
        cursor.execute(f"WITH inserted AS ({sql}) SELECT * FROM inserted", params)
        rows = cursor.fetchall()
    assert saved_from(built, unique=unique, rows=rows) == [built[0]]
    stored = Notification.objects.get(shop=shop)
    assert (stored.pk, stored.key, stored.created_at) == (built[0].pk, str(keys[0]), yesterday)
    assert built[1].pk is None
