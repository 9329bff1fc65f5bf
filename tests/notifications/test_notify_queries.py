"""What one notify() costs, per path, in queries: pinned, so that a change adding a query to
every call fails here rather than in production (bench_notify measures the same in calls/s)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Category, Notification
from salestio.models import Shop
from tests.notifications.conftest import notify_listing

# notify()'s atomic block is a savepoint inside the test's transaction: SAVEPOINT and RELEASE
# are counted here, where a call in production pays BEGIN and COMMIT (not queries) instead.
SAVEPOINT = 2
# On PostgreSQL an email's INSERT and the UPDATE queuing its rows are one statement (a
# data-modifying WITH); elsewhere two.
EMAIL_APART = 0 if connection.vendor == "postgresql" else 1
Arrange = Callable[[Any, Any, Any, Any], object]


def first_of_its_category(shop: Shop, enable: Any, time_machine: Any, settings: Any) -> None:
    enable(shop)


def after_a_quiet_window(shop: Shop, enable: Any, time_machine: Any, settings: Any) -> None:
    enable(shop)
    notify_listing(shop, "listing:0")
    time_machine.move_to(
        timezone.now() + settings.NOTIFICATION_DIGEST_WINDOW + timedelta(minutes=1)
    )


def within_the_window(shop: Shop, enable: Any, time_machine: Any, settings: Any) -> None:
    enable(shop)
    notify_listing(shop, "listing:0")


def the_same_key_before(shop: Shop, enable: Any, time_machine: Any, settings: Any) -> None:
    enable(shop)
    notify_listing(shop, "listing:1")


def category_off(shop: Shop, enable: Any, time_machine: Any, settings: Any) -> None:
    enable(shop, Category.ORDER_IMPORT_FAILED)


@pytest.mark.parametrize(
    ("arrange", "queries", "status"),
    [
        # Row, routing read, window opened; email with its rows queued (a window just opened
        # holds nothing else; the email is rendered when it is sent).
        pytest.param(
            first_of_its_category, 4 + EMAIL_APART, "queued", id="emailed at once, new window"
        ),
        # Row, routing read, window claimed by the upsert; held rows locked, email with its
        # rows queued.
        pytest.param(
            after_a_quiet_window, 5 + EMAIL_APART, "queued", id="emailed at once, window claimed"
        ),
        # Row, routing read, digest scheduled.
        pytest.param(within_the_window, 3, "pending", id="held for the digest"),
        # The INSERT that conflicts, then the open row read (the one emailed before).
        pytest.param(the_same_key_before, 2, "queued", id="duplicate key"),
        # Row, routing read, the reason recorded.
        pytest.param(category_off, 3, "suppressed", id="suppressed"),
    ],
)
def test_one_notify_costs_at_most(
    arrange: Arrange,
    queries: int,
    status: str,
    shop: Shop,
    enable: Any,
    time_machine: Any,
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    arrange(shop, enable, time_machine, settings)
    with django_assert_max_num_queries(SAVEPOINT + queries):
        notification = notify_listing(shop, "listing:1")
    assert notification.status == status
    assert Notification.objects.filter(key="listing:1").count() == 1
