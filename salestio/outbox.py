"""The transactional outbox: work enqueued after a commit is never lost to a broker outage.

A durable row is written in the same transaction as the change that calls for the work: the
webhook event itself, the email itself, or for any other job an `OutboxTask`. After commit the
task is published; when the broker is down the publish fails quietly (the request still
answers), and a beat sweep publishes every row left unprocessed past its lease. Tasks claim
their row, so a publish that did get through before the sweep's never runs the work twice.
"""

import logging
import time
from datetime import timedelta
from functools import partial
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from salestio.claims import claim
from salestio.models import OutboxTask

log = logging.getLogger(__name__)

SWEEP_BATCH = 500
# What a publish raises when the broker is unreachable: kombu wraps the transport's connection
# errors (redis' ConnectionError, socket errors) in OperationalError.
BROKER_DOWN = (OperationalError, OSError)
# After a failed publish this process leaves the broker alone for a while: redis-py retries a
# refused connection for ~6 s (three backoffs), which every request would otherwise pay while
# Redis is down. The sweep publishes what is held back meanwhile.
BROKER_PAUSE_S = 30.0
# The arguments as monitoring shows them, cut as Celery cuts them (amqp.argsrepr_maxsize). Our
# tasks take ids and short texts: repr() is their repr, where Celery's saferepr() walks each
# item in Python (half a publish's CPU for a batch of email ids).
ARGSREPR_MAX = 1024
_broker_paused_until = 0.0


def lease() -> timedelta:
    """A row unpublished this long is the sweep's: its after-commit publish failed or never
    ran (settings.OUTBOX_LEASE_S)."""
    return timedelta(seconds=settings.OUTBOX_LEASE_S)


def publish(task: Task, *args: Any, countdown: float = 0) -> bool:
    """Hand the task to the broker now (to run after `countdown` seconds); False (logged) when
    the broker is unreachable.

    retry=False: a request thread must not wait out kombu's reconnect loop; the sweep retries.
    """
    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        log.warning("broker down, %s%r left to the outbox sweep", task.name, args)
        return False
    try:
        # argsrepr: a message option (Celery's AMQP.as_task_v2) that celery-types does not list.
        task.apply_async(  # type: ignore[call-arg]
            args=args, countdown=countdown, retry=False, argsrepr=repr(args)[:ARGSREPR_MAX]
        )
    except BROKER_DOWN as exc:
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_S
        log.warning("broker unreachable, %s%r left to the outbox sweep: %s", task.name, args, exc)
        return False
    return True


def publish_on_commit(task: Task, *args: Any) -> None:
    """For work whose own row is the outbox entry (a webhook event, an email)."""
    transaction.on_commit(partial(publish, task, *args))


def enqueue(task: Task, *args: Any) -> None:
    """A job that must run once the caller's transaction commits, whatever the broker does."""
    row = OutboxTask.objects.create(
        task_name=task.name, args=list(args), publish_after=timezone.now() + lease()
    )
    transaction.on_commit(partial(_publish_row, task, row.pk, args))


def _publish_row(task: Task, row_id: int, args: tuple[Any, ...]) -> None:
    if publish(task, *args):
        OutboxTask.objects.filter(pk=row_id).delete()


def publish_stalled(*, tasks: dict[str, Task]) -> int:
    """Beat: publish the jobs whose after-commit publish failed; `tasks` is the registry. The
    rows are leased anew in one statement (outbox_publish_after_idx), so an overlapping sweep
    takes others, and a row whose publish fails again is the sweep's once more after the lease."""
    now = timezone.now()
    due = OutboxTask.objects.filter(publish_after__lt=now).order_by("publish_after")
    rows = claim(
        due,
        limit=SWEEP_BATCH,
        lease={"publish_after": now + lease()},
        returning=["task_name", "args"],
    )
    published = [pk for pk, name, args in rows if publish(tasks[name], *args)]
    OutboxTask.objects.filter(pk__in=published).delete()
    return len(published)
