"""Notification ingestion: 10,000 incidents across 1,000 shops in job-sized notify_many() calls
of 100, against a bulk INSERT of the same rows; and single notify() calls (a sample of them, in
a second set of shops), so a regression of the one-incident path shows too.

Each call does what production does: write the row, decide (suppress, email now, or hold for
the digest), compose and render the email when one is due, and publish its send task to the
broker (kombu's in-memory transport, so neither a worker nor Redis is needed). The floor is one
bulk INSERT of as many notification rows into the same table in the same run. Printed beside it,
not in the RESULT: the same INSERT committed once per job run, which is what job-sized
transactions cost by themselves (their commits and the foreign-key checks at each commit).

Afterwards the clock moves past every digest window and every email is sent to Django's locmem
backend, so the emails and the items they carry are counted, not assumed. Runs in a throwaway
database (bench_notify_<name>); BENCH_NOTIFY_CALLS / BENCH_NOTIFY_SHOPS change the size.

One round is noise on a shared machine (the same code measured 1.7 to 2.4 times its floor in
consecutive runs), so the ingestion and its floor are timed in a few rounds, each from empty
notification tables, and the medians are compared, as bench_sweep does; within a round they
take turns, a tenth of the calls at a time. The emails are checked after the last round.
"""

import gc
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

CALLS = int(os.environ.get("BENCH_NOTIFY_CALLS", "10000"))
SHOPS = int(os.environ.get("BENCH_NOTIFY_SHOPS", "1000"))
JOB_SIZE = int(os.environ.get("BENCH_NOTIFY_JOB_SIZE", "100"))
SINGLE_CALLS = int(os.environ.get("BENCH_NOTIFY_SINGLE_CALLS", "2000"))
ROUNDS = int(os.environ.get("BENCH_NOTIFY_ROUNDS", "5"))
# Failures are bursty and mostly listing updates; a few shops have most of them.
CATEGORY_WEIGHTS = {
    "listing_update_failed": 60,
    "order_import_failed": 20,
    "fulfillment_failed": 15,
    "account_expired": 3,
    "plan_limit": 2,
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salestio.settings")
    os.environ.setdefault("DEBUG", "1")  # development fallbacks for secrets; no server runs
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment(debug=False)  # locmem email backend, no query log kept
    try:
        with _scratch_database():
            _run()
    finally:
        teardown_test_environment()


@contextmanager
def _scratch_database() -> Iterator[None]:
    from django.db import connection

    if connection.vendor != "sqlite":
        # Its own name: pytest's test_<name> database may be in use by a test run right now.
        connection.settings_dict["TEST"]["NAME"] = (
            f"bench_notify_{connection.settings_dict['NAME']}"
        )
    # Not serialized: nothing here restores it, and reading every app's tables only slows the
    # start (or stops it, while another app's model is ahead of its migrations).
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _run() -> None:
    from django.db import connection

    calls = _plan(_make_shops("bench"))
    singles = _plan(_make_shops("single"))[:SINGLE_CALLS]
    _publish_to_memory_broker()
    rounds = [_round(calls) for _ in range(ROUNDS)]
    ingest_seconds = statistics.median(ingest for ingest, _, _, _ in rounds)
    floor_seconds = statistics.median(floor for _, floor, _, _ in rounds)
    per_job_seconds = statistics.median(per_job for _, _, per_job, _ in rounds)
    single_seconds = _timed(lambda: _ingest_one_by_one(singles))
    immediate, digests = _send_everything()
    _report(connection.vendor, ingest_seconds, floor_seconds, rounds[-1][3], immediate, digests)
    print(
        "  rounds:       "
        + ", ".join(f"{ingest / floor:.2f}" for ingest, floor, _, _ in rounds)
        + f"  (each round's ratio; the medians above are of {ROUNDS} rounds)"
    )
    print(
        f"  per job run:  {per_job_seconds:7.2f} s  "
        f"{per_job_seconds / floor_seconds:9.2f}x the floor"
        f"  (the floor's INSERT, one transaction per {JOB_SIZE} rows, as the job runs commit)"
    )
    print(
        f"  notify():     {single_seconds:7.2f} s  {len(singles) / single_seconds:9,.0f} calls/s"
        f"  (single calls, {len(singles):,} of them)"
    )
    print(f"RESULT notify ratio={ingest_seconds / floor_seconds:.2f}")


def _round(calls: list[dict[str, Any]]) -> tuple[float, float, float, int]:
    """From empty notification tables: the ingestion's time, its floor's, the floor's INSERT
    committed per job run (what a transaction per job run costs by itself), and the
    ingestion's queries.

    They take turns, a tenth of the calls at a time (a thousand incidents in job runs, then
    the same rows in one bulk INSERT, then in one per job run), as bench_dashboard's page and
    template do: a slow spell of this shared machine, which lasts seconds, then slows each
    instead of whichever one it fell on (consecutive runs of one commit gave 1.7 and 2.1 when
    each went whole)."""
    from django.db import connection

    _empty_notification_tables()
    queries = _QueryCounter()
    ingest_seconds = floor_seconds = per_job_seconds = 0.0
    for part in _tenths(calls):
        with connection.execute_wrapper(queries):
            ingest_seconds += _timed(lambda: _ingest(part))  # noqa: B023 (called at once)
        floor_seconds += _timed(lambda: _bulk_insert(part))  # noqa: B023
        per_job_seconds += _timed(lambda: _bulk_insert_per_job(part))  # noqa: B023
    _remove_floor_rows()
    return ingest_seconds, floor_seconds, per_job_seconds, queries.count


def _tenths(calls: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The calls in ten parts of whole job runs."""
    size = max(JOB_SIZE, -(-len(calls) // (10 * JOB_SIZE)) * JOB_SIZE)
    return [calls[start : start + size] for start in range(0, len(calls), size)]


def _empty_notification_tables() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from notifications.models import DeliveryAttempt, DigestWindow, Email, Notification

    emptied = (Notification, DeliveryAttempt, Email, DigestWindow)  # all that refers to an email
    tables = [model._meta.db_table for model in emptied]
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))


def _make_shops(prefix: str) -> list[Any]:
    from notifications.models import SETTINGS_CATEGORIES, NotificationSettings
    from salestio.models import Shop

    shops = Shop.objects.bulk_create(
        Shop(
            domain=f"{prefix}-{n:04}.myshopify.com",
            name=f"Bench {n}",
            owner_email=f"owner{n}@example.com",
            currency="EUR",
        )
        for n in range(SHOPS)
    )
    NotificationSettings.objects.bulk_create(
        NotificationSettings(
            shop=shop,
            language="de" if n % 4 == 0 else "en",
            **{str(category): True for category in SETTINGS_CATEGORIES},
        )
        for n, shop in enumerate(shops)
    )
    return shops


def _plan(shops: list[Any]) -> list[dict[str, Any]]:
    """Every shop once, then the rest skewed towards a few shops; one new key per call."""
    rng = random.Random(20261128)
    categories, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    calls = []
    for n in range(CALLS):
        shop = shops[n] if n < len(shops) else shops[int(len(shops) * rng.random() ** 3)]
        category = rng.choices(categories, weights)[0]
        calls.append(
            {
                "shop": shop,
                "category": category,
                "key": f"{category}:{n}",
                "context": _context(category, n),
            }
        )
    return calls


def _context(category: str, n: int) -> dict[str, Any]:
    if category == "listing_update_failed":
        return {"sku": f"SKU-{n:05}", "marketplace": "Amazon", "error": "Quantity rejected"}
    if category == "plan_limit":
        return {"usage": "4900.00", "limit": "5000.00", "currency": "EUR", "exceeded": False}
    if category == "account_expired":
        return {"account_name": f"Account {n}", "marketplace": "eBay", "reason": "Token expired"}
    return {"order_id": f"302-{n:07}", "marketplace": "Etsy", "error": "Variant missing"}


def _publish_to_memory_broker() -> None:
    from salestio.celery import app

    app.conf.update(
        task_always_eager=False, broker_url="memory://localhost//", broker_transport_options={}
    )


def _ingest(calls: list[dict[str, Any]]) -> None:
    """As the jobs report: one notify_many() per job run of JOB_SIZE incidents."""
    from notifications.services import Incident, notify_many

    incidents = [Incident(**call) for call in calls]
    for start in range(0, len(incidents), JOB_SIZE):
        notify_many(incidents[start : start + JOB_SIZE])


def _ingest_one_by_one(calls: list[dict[str, Any]]) -> None:
    from notifications.services import notify

    for call in calls:
        notify(**call)


def _bulk_insert(calls: list[dict[str, Any]], *, prefix: str = "floor:") -> None:
    """The floor: the same rows in one bulk INSERT (a tenth of them at a time: _round())."""
    from notifications.models import Notification

    rows = [
        Notification(
            shop=call["shop"],
            category=call["category"],
            key=f"{prefix}{call['key']}",
            context=call["context"],
            status=Notification.Status.SUPPRESSED,
        )
        for call in calls
    ]
    Notification.objects.bulk_create(rows, batch_size=1000)


def _bulk_insert_per_job(calls: list[dict[str, Any]]) -> None:
    """The floor's INSERT, a transaction per job run (informative: not the RESULT's floor)."""
    from django.db import transaction

    for start in range(0, len(calls), JOB_SIZE):
        with transaction.atomic():
            _bulk_insert(calls[start : start + JOB_SIZE], prefix="floor:job:")


def _remove_floor_rows() -> None:
    from notifications.models import Notification

    Notification.objects.filter(key__startswith="floor:").delete()


def _send_everything() -> tuple[int, int]:
    """Send what ingestion queued, then close every digest window and send the digests."""
    from datetime import timedelta

    import time_machine
    from django.conf import settings
    from django.utils import timezone

    from notifications import delivery
    from notifications.models import Email
    from notifications.tasks import flush_digests
    from salestio.celery import app

    for email_id in Email.objects.values_list("pk", flat=True):
        delivery.deliver(email_id=email_id)
    immediate = Email.objects.count()
    app.conf.update(task_always_eager=True)
    later = timezone.now() + settings.NOTIFICATION_DIGEST_WINDOW + timedelta(minutes=1)
    with time_machine.travel(later, tick=True):
        while flush_digests():
            pass
    return immediate, Email.objects.count() - immediate


def _report(
    vendor: str, ingest: float, floor: float, queries: int, immediate: int, digests: int
) -> None:
    from django.core import mail

    from notifications.models import Email, Notification

    emailed = Notification.objects.filter(email__status=Email.Status.SENT).count()
    print(
        f"bench_notify: {CALLS:,} incidents across {SHOPS:,} shops, notify_many() calls of "
        f"{JOB_SIZE} ({vendor})"
    )
    print(
        f"  notify_many(): {ingest:7.2f} s  {CALLS / ingest:9,.0f} incidents/s  "
        f"{queries / CALLS:.2f} queries/incident"
    )
    print(f"  bulk INSERT:  {floor:7.2f} s  {CALLS / floor:9,.0f} rows/s   (the floor)")
    print(f"  ratio:        {ingest / floor:7.1f}x the floor")
    print(
        f"  emails:       {len(mail.outbox):,} sent ({immediate:,} at once, {digests:,} digests) "
        f"for {Notification.objects.count():,} notifications (both sets of shops); "
        f"{emailed:,} notifications are in a sent email"
    )


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _timed(work: Callable[[], object]) -> float:
    # Each timing starts with nothing left for the collector: a full collection (70 ms here,
    # over Django's objects and the plan's) otherwise lands in whichever phase is unlucky.
    gc.collect()
    started = time.perf_counter()
    work()
    return time.perf_counter() - started
