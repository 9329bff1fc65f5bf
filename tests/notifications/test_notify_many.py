"""notify_many(): a job run's incidents in one call give what as many notify() calls give: the
same rows and statuses, the same emails at once and the same digests (issue 12)."""

import logging
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import services
from notifications.models import SETTINGS_CATEGORIES, BouncedAddress, Email, Notification
from notifications.services import Incident
from notifications.tasks import flush_digests, send_emails
from salestio.models import Shop
from tests.concurrency import run_at_once
from tests.notifications.conftest import CONTEXTS

SHOPS = 10
INCIDENTS = 1000


def _shops(make_shop: Callable[..., Shop], enable: Any, prefix: str) -> list[Shop]:
    """Ten shops: most with every category on, one with two categories, one whose address
    bounced, one uninstalled, one that never saved settings (everything off)."""
    shops = []
    for n in range(SHOPS):
        shop = make_shop(f"{prefix}-{n}.myshopify.com")
        if n == 1:
            enable(shop, SETTINGS_CATEGORIES[0], SETTINGS_CATEGORIES[2])
        elif n != 2:
            enable(shop)
        if n == 3:
            BouncedAddress.objects.create(shop=shop, address=shop.owner_email)
        if n == 4:
            Shop.objects.filter(pk=shop.pk).update(uninstalled_at=timezone.now())
            shop.refresh_from_db()
        shops.append(shop)
    return shops


def _incidents(shops: list[Shop]) -> list[Incident]:
    """1,000 incidents across the shops and the five categories; some keys repeat (a retried
    failure in the same run) and a few were reported by an earlier run (see _earlier)."""
    rng = random.Random(12)
    incidents = []
    for n in range(INCIDENTS):
        shop, category = rng.choice(shops), rng.choice(SETTINGS_CATEGORIES)
        key = f"{category}:{n if n % 10 else n // 100}"  # every tenth key repeats
        incidents.append(Incident(shop, category, key, {**CONTEXTS[category], "n": n}))
    return incidents


def _earlier(shops: list[Shop]) -> None:
    """An open incident from an earlier run, and one emailed window, in two shops."""
    for shop in shops[5:7]:
        services.notify(
            shop=shop, category=SETTINGS_CATEGORIES[0], key="order_import_failed:0", context={}
        )


def _outcome(shops: list[Shop]) -> dict[str, Any]:
    """Rows, statuses, emails (at once and digests) and the mail sent, per shop by position."""
    index = {shop.pk: n for n, shop in enumerate(shops)}
    rows = Notification.objects.filter(shop__in=shops).order_by("shop_id", "category", "key")
    emails = Email.objects.filter(shop__in=shops).order_by("pk")
    items: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        if row.email_id:
            items[row.email_id].append(row.key)
    sent: dict[str, int] = defaultdict(int)
    for message in mail.outbox:
        sent[message.to[0].split("@")[1].split("-")[1]] += 1
    return {
        "rows": [
            (index[r.shop_id], r.category, r.key, r.status, r.suppressed_reason, r.context)
            for r in rows
        ],
        "emails": sorted(
            (index[e.shop_id], e.category, e.status, sorted(items[e.pk])) for e in emails
        ),
        "mail per shop": dict(sent),
    }


def _run_to_the_end(time_machine: Any, commit: Any, work: Callable[[], object]) -> None:
    """The incidents, their emails sent, then every digest window closed and its digest sent."""
    start = timezone.now()
    time_machine.move_to(start)
    with commit(execute=True):
        work()
    time_machine.move_to(start + settings.NOTIFICATION_DIGEST_WINDOW + timedelta(minutes=1))
    with commit(execute=True):
        while flush_digests():
            pass


def test_notify_many_gives_what_as_many_notify_calls_give(
    make_shop: Callable[..., Shop],
    enable: Any,
    time_machine: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    outcomes = []
    for prefix, ingest in [("single", _one_by_one), ("bulk", services.notify_many)]:
        mail.outbox.clear()
        shops = _shops(make_shop, enable, prefix)
        with django_capture_on_commit_callbacks(execute=True):
            _earlier(shops)
        incidents = _incidents(shops)

        _run_to_the_end(
            time_machine, django_capture_on_commit_callbacks, partial(ingest, incidents)
        )
        outcomes.append(_outcome(shops))
    single, bulk = outcomes
    assert bulk == single
    statuses = {row[3] for row in bulk["rows"]}
    assert statuses == {"queued", "suppressed"}  # the held ones all went out in digests
    index = {shop.pk: n for n, shop in enumerate(shops)}
    distinct = {(index[i.shop.pk], str(i.category), i.key) for i in incidents}
    distinct |= {(n, str(SETTINGS_CATEGORIES[0]), "order_import_failed:0") for n in (5, 6)}
    assert len(bulk["rows"]) == len(distinct) < INCIDENTS  # the repeated keys: one row each
    # Per shop and category on: one email at once, the rest in one digest.
    assert all(status == Email.Status.SENT for _, _, status, _ in bulk["emails"])
    per_window = defaultdict(list)
    for shop_index, category, _, keys in bulk["emails"]:
        per_window[shop_index, category].append(len(keys))
    # The first alone, at once; the rest in one digest.
    assert all(len(sizes) <= 2 and min(sizes) == 1 for sizes in per_window.values())
    assert {shop_index for shop_index, _ in per_window}.isdisjoint({2, 3, 4})  # suppressed
    assert sum(bulk["mail per shop"].values()) == len(bulk["emails"])


def _one_by_one(incidents: list[Incident]) -> None:
    for i in incidents:
        services.notify(shop=i.shop, category=i.category, key=i.key, context=i.context)


def test_notify_many_returns_each_incident_s_row_in_order(shop: Shop, enable: Any) -> None:
    enable(shop)
    earlier = services.notify(shop=shop, category=SETTINGS_CATEGORIES[0], key="k1")
    incidents = [
        Incident(shop, SETTINGS_CATEGORIES[0], "k2"),
        Incident(shop, SETTINGS_CATEGORIES[0], "k1"),
        Incident(shop, SETTINGS_CATEGORIES[0], "k2"),
    ]
    rows = services.notify_many(incidents)
    assert [row.key for row in rows] == ["k2", "k1", "k2"]
    assert rows[1].pk == earlier.pk and rows[0].pk == rows[2].pk
    assert rows[0].status == Notification.Status.PENDING  # the window is busy: digest
    assert services.notify_many([]) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_of_the_same_incidents_make_no_duplicate(
    make_shop: Callable[..., Shop], enable: Any
) -> None:
    shops = _shops(make_shop, enable, "race")
    incidents = _incidents(shops)
    results, errors = run_at_once(
        lambda: [n.pk for n in services.notify_many(incidents)], threads=2
    )
    assert errors == []
    assert results[0] == results[1]  # the second run found the first one's rows
    distinct = {(i.shop.pk, i.category, i.key) for i in incidents}
    assert Notification.objects.count() == len(distinct) == len(set(results[0]))
    # One email at once per shop and category on, never two.
    per_window = Email.objects.values_list("shop_id", "category")
    assert len(per_window) == len(set(per_window))
    assert len(mail.outbox) == len(per_window)


def test_a_burst_goes_to_the_broker_in_send_batches_and_each_email_is_rendered_when_sent(
    make_shop: Callable[..., Shop],
    enable: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.NOTIFICATION_SEND_BATCH = 10
    shops = [make_shop(f"burst-{n}.myshopify.com") for n in range(25)]
    for shop in shops:
        enable(shop)
    published: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(
        "notifications.routing.publish", lambda task, *args: published.append((task.name, args))
    )
    incidents = [Incident(shop, SETTINGS_CATEGORIES[0], "order:1", {}) for shop in shops]

    with django_capture_on_commit_callbacks(execute=True):
        services.notify_many(incidents)

    emails = list(Email.objects.order_by("pk"))
    assert [name for name, _ in published] == ["notifications.tasks.send_emails"] * 3
    assert [len(args[0]) for _, args in published] == [10, 10, 5]
    assert sorted(pk for _, args in published for pk in args[0]) == [e.pk for e in emails]
    assert {(e.status, e.subject, e.html) for e in emails} == {(Email.Status.QUEUED, "", "")}
    send_emails(published[0][1][0])
    first = Email.objects.filter(pk__in=published[0][1][0])
    assert {e.status for e in first} == {Email.Status.SENT}
    assert all(e.subject and e.html and e.headers["Message-ID"] for e in first)
    assert len(mail.outbox) == 10


def test_a_job_run_logs_a_line_of_counts_and_a_single_incident_its_own_line(
    make_shop: Callable[..., Shop], enable: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """At INFO a job run's thousands of notifications and emails are a line of counts each
    (the rows are the record); a single incident keeps its line, naming its shop."""
    shops = [make_shop(f"logged-{n}.myshopify.com") for n in range(3)]
    for shop in shops:
        enable(shop)
    caplog.set_level(logging.INFO, logger="notifications")
    services.notify_many(
        [Incident(shop, SETTINGS_CATEGORIES[0], f"order:{n}") for shop in shops for n in range(4)]
    )
    assert [r.getMessage() for r in caplog.records] == [
        "3 email(s) composed with 3 item(s)",
        "12 notification(s) of 12 incident(s): 9 pending, 3 queued",
    ]
    caplog.clear()
    services.notify(shop=shops[0], category=SETTINGS_CATEGORIES[1], key="order:9")
    assert [(r.getMessage(), r.shop) for r in caplog.records] == [  # type: ignore[attr-defined]
        (
            f"email {Email.objects.latest('pk').pk} composed with 1 item(s) for "
            f"{SETTINGS_CATEGORIES[1]}",
            shops[0].domain,
        ),
        (f"notification {SETTINGS_CATEGORIES[1]} order:9: queued", shops[0].domain),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # closes the connection: outside a test transaction
def test_a_job_run_s_statements_are_planned_once_per_connection_and_follow_the_indexes(
    make_shop: Callable[..., Shop], enable: Any
) -> None:
    """Planning the INSERT with its routing read, and the claim, took as long as running them:
    a connection prepares each on its first use, later runs execute that one generic plan.
    Planned here on nearly empty tables (a deploy's first run), the plans still find every row
    by an index (the settings, bounces and windows by shop, the items by primary key), so they
    stay right as the tables grow.

    A single notify() runs the same prepared INSERT (its one row as JSON too).

    Guards against the statements being planned anew each run (no PREPARE), and against one
    whose generic plan scans a whole table."""
    incidents = _incidents(_shops(make_shop, enable, "planned"))[:300]
    connection.close()  # a new connection: nothing prepared yet
    with CaptureQueriesContext(connection) as runs:
        for start in range(0, len(incidents), 100):
            services.notify_many(incidents[start : start + 100])

    one = incidents[0]
    with CaptureQueriesContext(connection) as single:  # one row: the same statement
        services.notify(shop=one.shop, category=one.category, key="single", context={})

    assert not [sql for sql in _sent(single) if _INSERT in sql]  # neither planned nor prepared
    sent = _sent(runs)
    prepared = [sql.split(" ", 2)[1] for sql in sent if sql.startswith("PREPARE")]
    assert len(prepared) == len(set(prepared))  # each statement once
    assert sum(sql.startswith("EXECUTE") for sql in sent) > len(prepared)  # and run again
    plans = _generic_plans()
    assert any(_INSERT in text for text in plans)
    assert any('INSERT INTO "notifications_digestwindow"' in text for text in plans)
    for plan in plans.values():
        assert "Seq Scan" not in plan
    [routing] = [plan for text, plan in plans.items() if "notificationsettings" in text]
    for index in (
        "notifications_notificationsettings_shop_id_key",  # the settings by shop
        "one_bounce_per_address",  # the bounces by shop and address
        "one_window_per_category",  # the window by shop and category
    ):
        assert f"using {index}" in routing


_INSERT = 'INSERT INTO "notifications_notification"'


def _sent(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


def _generic_plans() -> dict[str, str]:
    """Each statement this connection prepared for notify_many(), by its text: its plan."""
    plans = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, statement, cardinality(parameter_types)"
            " FROM pg_prepared_statements WHERE statement LIKE '%%notifications_%%'"
        )
        for name, text, parameters in cursor.fetchall():
            cursor.execute(f"EXPLAIN EXECUTE {name}({', '.join(['NULL'] * parameters)})")
            plans[text] = "\n".join(line for (line,) in cursor.fetchall())
    return plans
